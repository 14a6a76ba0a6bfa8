// Server-stream messages written straight to the HTTP response, past connect-node's stream writer.
// connect-node passes each message of a server stream through a chain of async generators and awaits
// every write: about 90 µs of CPU a message, which capped push fan-outs (bench/README.md, finding 4).
// Connect, gRPC and gRPC-Web frame a stream's messages alike (envelope-frames.ts), so once
// connect-node has sent the headers and the first message, a handler may write later messages itself; connect-node still ends the stream (Connect end-stream
// message, gRPC trailers, gRPC-Web trailer frame), errors included. These events are never compressed:
// an uncompressed message is valid in every protocol even when gzip or br was negotiated (connect-node
// would have compressed messages of 1 KiB and more).
//
// The handoff relies on connect-node pulling a server stream's messages one at a time: a handler's
// generator resumes after a `yield` only when that message has been written (or the response asked
// to wait for 'drain'). The tests of every protocol check that the first message still comes first.
import type http from "node:http";
import type http2 from "node:http2";
import { toBinary, toJsonString, type DescMessage, type MessageShape } from "@bufbuild/protobuf";
import { createContextKey } from "@connectrpc/connect";
import { encodeEnvelope } from "./envelope-frames.js";

export type NodeResponse = http.ServerResponse | http2.Http2ServerResponse;

export class DirectStream {
  private readonly json: boolean;

  constructor(
    private readonly res: NodeResponse,
    contentType: string,
  ) {
    this.json = contentType.includes("+json");
  }

  /**
   * Writes one message after the first. Resolves when the response takes more, is gone, or `signal`
   * aborts; a response that is gone takes nothing (the caller learns it from its own signal).
   */
  async write<Desc extends DescMessage>(schema: Desc, message: MessageShape<Desc>, signal: AbortSignal): Promise<void> {
    if (this.gone()) return;
    const body = this.json ? Buffer.from(toJsonString(schema, message)) : toBinary(schema, message);
    if (!(this.res as http.ServerResponse).write(encodeEnvelope(0, body))) await this.drained(signal);
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

/** Set by the gateway's RPC adapter on every call; absent under another server adapter. */
export const directStreamKey = createContextKey<DirectStream | undefined>(undefined, { description: "raw response of a server stream" });
