// Server-stream messages written straight to the HTTP response, past connect-node's stream writer.
// connect-node passes each message of a server stream through a chain of async generators and awaits
// every write: about 90 µs of CPU a message, which capped push fan-outs (bench/README.md, finding 4).
// Connect, gRPC and gRPC-Web frame a stream's messages alike (envelope-frames.ts), so once connect-node
// has sent the headers and every message the handler yielded to it, a handler may write later messages
// itself; connect-node still ends the stream (Connect end-stream message, gRPC trailers, gRPC-Web
// trailer frame), errors included. These events are never compressed: an uncompressed message is valid
// in every protocol even when gzip or br was negotiated (connect-node would have compressed messages of
// 1 KiB and more).
//
// The handoff: a handler offers each message; offer() writes it only when that keeps the order — the
// headers are sent and connect-node has written every message yielded to it so far (the RPC adapter
// counts them as they leave: messagesWritten). Otherwise the handler must yield the message itself.
// So the first message always goes through connect-node, and nothing depends on when connect-node
// resumes the handler's generator.
import type http from "node:http";
import http2 from "node:http2";
import { toBinary, toJsonString, type DescMessage, type MessageShape } from "@bufbuild/protobuf";
import { createContextKey } from "@connectrpc/connect";
import { encodeEnvelope } from "./envelope-frames.js";

const EMPTY = new Uint8Array(0);

export type NodeResponse = http.ServerResponse | http2.Http2ServerResponse;

export class DirectStream {
  private readonly json: boolean;
  /** Messages the handler yielded to connect-node because offer() declined them. */
  private yielded = 0;
  /** How many of the stream's messages connect-node has written (the RPC adapter tells). */
  private written = 0;

  constructor(
    private readonly res: NodeResponse,
    contentType: string,
  ) {
    this.json = contentType.includes("+json");
  }

  /**
   * Writes `message` if it may go out now: resolves true when the response took it, is gone (it takes
   * nothing; the caller learns it from its own signal), or `signal` aborted while waiting for 'drain'.
   * Resolves false while connect-node has not yet written the headers or a message yielded to it: the
   * caller must then yield `message` to connect-node, which keeps it in order.
   */
  async offer<Desc extends DescMessage>(schema: Desc, message: MessageShape<Desc>, signal: AbortSignal): Promise<boolean> {
    if (this.gone()) return true;
    if (!this.res.headersSent || this.written !== this.yielded) {
      this.yielded++;
      return false;
    }
    const body = this.json ? Buffer.from(toJsonString(schema, message)) : toBinary(schema, message);
    if (!(this.res as http.ServerResponse).write(encodeEnvelope(0, body))) await this.drained(signal);
    return true;
  }

  /** From the RPC adapter: connect-node has written `messages` messages of this stream in all. */
  messagesWritten(messages: number): void {
    this.written = messages;
  }

  /**
   * Cuts the stream as a broken connection would (an injected fault, faults/): HTTP/2 RST_STREAM
   * INTERNAL_ERROR, HTTP/1.1 the socket closed. Everything written before still arrives first: on h2 an
   * empty write's callback comes after every earlier write reached the socket, and node sends pending
   * data before an RST_STREAM; on h1 `end()` flushes the socket before closing it.
   */
  async reset(): Promise<void> {
    if (this.gone()) return;
    const res = this.res;
    if ("stream" in res) {
      await new Promise<void>((resolve) => {
        const done = () => {
          res.stream.off("close", done);
          resolve();
        };
        res.stream.once("close", done);
        res.write(EMPTY, done);
      });
      if (!res.stream.destroyed) res.stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
      return;
    }
    res.socket?.end();
  }

  private gone(): boolean {
    const res = this.res;
    if (res.writableEnded) return true;
    return "stream" in res ? res.stream.destroyed || res.stream.closed : res.destroyed;
  }

  private drained(signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const res = this.res as NodeJS.EventEmitter;
      const done = () => {
        res.off("drain", done);
        res.off("close", done);
        signal.removeEventListener("abort", done);
        resolve();
      };
      res.once("drain", done);
      res.once("close", done);
      signal.addEventListener("abort", done, { once: true });
      if (signal.aborted) done();
    });
  }
}

/** Set by the gateway's RPC adapter on every server-streaming call; absent under another server adapter. */
export const directStreamKey = createContextKey<DirectStream | undefined>(undefined, { description: "raw response of a server stream" });
