// HTTP/2 connections, handed over by the sniffer: node's http2 server under the listener's limits
// (header list size and pairs, concurrent streams, session memory, request timeout), with each session's
// streams counted, capped and timed (response-limits.ts).
import http2 from "node:http2";
import type net from "node:net";
import { headerOctets } from "../node-internals.js";
import { H2SessionGuard, type ResponseWatch } from "../response-limits.js";
import type { ListenerLimits } from "./limits.js";

export type Http2Handler = (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => void;

const { NGHTTP2_CANCEL, NGHTTP2_STREAM_STATE_OPEN, NGHTTP2_STREAM_STATE_HALF_CLOSED_LOCAL } = http2.constants;

export class Http2Connections {
  private readonly server: http2.Http2Server;
  private readonly guards = new Map<http2.ServerHttp2Session, H2SessionGuard>();
  // A session closed gracefully (GOAWAY) ends its socket's writable side when its last stream is done
  // (node-internals.ts), then would wait for the client's FIN, which a client may never send: the
  // socket is closed as soon as its writable side has finished.
  private readonly open = new Set<net.Socket>();

  constructor(limits: ListenerLimits, watch: ResponseWatch, handler: Http2Handler) {
    this.server = http2.createServer(
      {
        maxSessionMemory: 32,
        maxHeaderListPairs: 128,
        settings: { maxConcurrentStreams: limits.maxConcurrentStreams, maxHeaderListSize: limits.maxHeaderBytes },
      },
      (req, res) => {
        const session = req.stream.session as http2.ServerHttp2Session | undefined;
        const guard = session && this.guards.get(session);
        if (!guard || !guard.admit(req.stream)) return;
        // Node advertises SETTINGS_MAX_HEADER_LIST_SIZE but only enforces its own 64 KiB: enforce ours
        // (RFC 9113 counting: name + value in octets + 32 per field), with the answer HTTP/1.1 gives (431).
        if (headerListSize(req.rawHeaders) > limits.maxHeaderBytes) {
          res.writeHead(431);
          res.end();
          return;
        }
        handler(req, res);
      },
    );
    this.server.on("session", (session) => {
      this.guards.set(session, new H2SessionGuard(session, watch));
      session.once("close", () => this.guards.delete(session));
    });
    // HTTP/2 has no request timeout of its own: a stream whose request body is still incomplete after
    // requestTimeoutMs is reset. Streams whose peer finished sending are left alone (they may be long
    // SubscribeEvents responses).
    this.server.on("stream", (stream: http2.ServerHttp2Stream) => {
      if (stream.endAfterHeaders) return;
      const timer = setTimeout(() => {
        const state = stream.state?.state;
        if (!stream.destroyed && (state === NGHTTP2_STREAM_STATE_OPEN || state === NGHTTP2_STREAM_STATE_HALF_CLOSED_LOCAL)) {
          stream.close(NGHTTP2_CANCEL);
        }
      }, limits.requestTimeoutMs);
      stream.once("close", () => clearTimeout(timer));
    });
  }

  /** A connection that speaks HTTP/2 (the preface was sniffed, or ALPN chose `h2`). */
  take(socket: net.Socket): void {
    this.open.add(socket);
    socket.once("finish", () => socket.destroy());
    socket.once("close", () => this.open.delete(socket));
    this.server.emit("connection", socket);
  }

  /** Shutdown: GOAWAY to every session; no new streams, open ones finish. */
  goAway(): void {
    for (const session of this.guards.keys()) session.close();
  }

  /** End of the drain: every session is cut, its streams with it. */
  destroy(): void {
    for (const session of this.guards.keys()) session.destroy();
  }

  /** The connections still open. */
  sockets(): Iterable<net.Socket> {
    return this.open;
  }
}

/** RFC 9113 §6.5.2: each field's name and value in octets, plus 32. */
function headerListSize(rawHeaders: readonly string[]): number {
  let size = 0;
  for (const field of rawHeaders) size += headerOctets(field) + 16; // name and value each: octets + half of 32
  return size;
}
