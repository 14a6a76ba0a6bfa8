// What one connection may hold in answers its client does not take. Node keeps every byte written to a
// response until the peer takes it: an HTTP/2 stream buffers written data whatever its flow-control
// window (a client can grant 0), and HTTP/1.1 pipelined responses queue behind the one being sent. The
// probe (issue 10) took the gateway from 152 MB to 2.1 GB of RSS that way with 4 connections. Static
// files are streamed (one chunk in flight per response, static-console.ts); this module caps how many
// responses and how many unsent bytes a connection may hold, cuts responses that stop draining, and
// makes the idle timeout hold for a connection whose streams are all stalled.
import type http from "node:http";
import http2 from "node:http2";
import type net from "node:net";

const { NGHTTP2_CANCEL, NGHTTP2_ENHANCE_YOUR_CALM } = http2.constants;

export interface ResponseLimits {
  /**
   * A response that has bytes waiting and has sent none of them for this long is cut: HTTP/2
   * RST_STREAM CANCEL (the session lives on), HTTP/1.1 the connection is closed. A response with nothing
   * to send (a SubscribeEvents stream waiting for an event) is not stalled.
   */
  writeStallTimeoutMs: number;
  /** HTTP/1.1: requests received on one connection and not yet completely answered (pipelining). */
  maxPipelinedRequests: number;
  /**
   * Bytes written to one connection's responses that its client has not taken yet. A new request that
   * arrives while the connection holds this much is refused (HTTP/2 RST_STREAM ENHANCE_YOUR_CALM,
   * HTTP/1.1 connection closed).
   */
  maxQueuedResponseBytes: number;
}

export const DEFAULT_RESPONSE_LIMITS: ResponseLimits = {
  // Like the request timeout: 30 s without a byte taken is a client that is not reading.
  writeStallTimeoutMs: 30_000,
  // Browsers and the Connect/gRPC clients do not pipeline; 16 leaves room for one that does.
  maxPipelinedRequests: 16,
  // A stalled static file holds 16-32 KiB and an RPC answer at most ~80 KiB, so 4 MiB only refuses a
  // connection with well over a hundred answers unread (Node clients' default window is 64 KiB).
  maxQueuedResponseBytes: 4 * 1024 * 1024,
};

/** Bytes handed to these writables and not yet taken by the peer (node's `writableLength`). */
function unsentBytes(writables: Iterable<{ readonly writableLength: number }>): number {
  let total = 0;
  for (const w of writables) total += w.writableLength;
  return total;
}

/** One HTTP/2 session: its open streams, their caps, and the idle timeout. */
export class H2SessionGuard {
  private readonly streams = new Set<http2.ServerHttp2Stream>();

  constructor(
    private readonly session: http2.ServerHttp2Session,
    private readonly limits: ResponseLimits,
    idleTimeoutMs: number,
  ) {
    // Node's session timer restarts whenever a frame arrives or a write makes progress: it fires after
    // idleTimeoutMs in which no byte moved either way, open streams or not, and again after later
    // activity (a listener, not setTimeout's callback, which node calls only once).
    session.setTimeout(idleTimeoutMs);
    session.on("timeout", () => this.closeIdle());
  }

  /** Takes a new stream under the caps before it is handled; false: it was refused (reset). */
  admit(stream: http2.ServerHttp2Stream): boolean {
    if (unsentBytes(this.streams) >= this.limits.maxQueuedResponseBytes) {
      stream.close(NGHTTP2_ENHANCE_YOUR_CALM);
      return false;
    }
    this.streams.add(stream);
    stream.once("close", () => this.streams.delete(stream));
    // The stream's timer restarts on its own reads and writes, and also while the session's writes
    // progress: a stream stalled beside moving ones waits for the session to go quiet (the byte cap
    // bounds what it holds meanwhile).
    stream.setTimeout(this.limits.writeStallTimeoutMs);
    stream.on("timeout", () => {
      if (stream.writableLength > 0) stream.close(NGHTTP2_CANCEL);
    });
    return true;
  }

  /**
   * Nothing moved for the idle timeout: stalled streams are reset, the session gets GOAWAY; streams with
   * nothing to send (SubscribeEvents) go on, and the connection closes when the last one ends.
   */
  private closeIdle(): void {
    for (const stream of this.streams) if (stream.writableLength > 0) stream.close(NGHTTP2_CANCEL);
    this.session.close();
  }
}

/** One HTTP/1.1 connection: its responses in flight (pipelined ones included) and their caps. */
export class H1ConnectionGuard {
  readonly responses = new Set<http.ServerResponse>();

  constructor(
    private readonly socket: net.Socket,
    private readonly limits: ResponseLimits,
  ) {}

  /** Takes a new request's response under the caps before it is handled; false: the connection was closed. */
  admit(res: http.ServerResponse): boolean {
    if (this.responses.size >= this.limits.maxPipelinedRequests || unsentBytes(this.responses) >= this.limits.maxQueuedResponseBytes) {
      this.socket.destroy();
      return false;
    }
    this.responses.add(res);
    res.once("close", () => this.responses.delete(res));
    return true;
  }

  /**
   * The socket's inactivity timer fired (no byte moved for min(writeStallTimeoutMs, idleTimeoutMs), or
   * the keep-alive timeout between requests): closed if idle or stalled; a response that is merely
   * waiting (a backend call, a quiet SubscribeEvents stream) keeps it.
   */
  onInactive(): void {
    const stalled = this.socket.writableLength > 0 || unsentBytes(this.responses) > 0;
    if (this.responses.size === 0 || stalled) this.socket.destroy();
  }
}
