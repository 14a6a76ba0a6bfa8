// What clients that do not read may make the gateway hold. Node keeps every byte written to a response
// until the peer takes it: an HTTP/2 stream buffers written data whatever its flow-control window (a
// client can grant 0), and HTTP/1.1 pipelined responses queue behind the one being sent. The probe
// (issue 10) took the gateway from 152 MB to 2.1 GB of RSS that way with 4 connections. Console files
// are sent in slices of one shared copy (static-console.ts); this module counts what every response
// holds unsent (each write until its callback), caps it per connection and per gateway, cuts responses
// that stop draining, and closes idle HTTP/2 sessions.
//
// Stalls and HTTP/2 idleness are timed here, on one ticker per gateway, from the writes' own progress:
// node's timers restart on any frame (a PING, a SETTINGS, the RST_STREAM of a stall reset), so a client
// could hold stalled streams forever by pinging, and each stall reset postponed the others' timers.
import type http from "node:http";
import http2 from "node:http2";
import type net from "node:net";

const { NGHTTP2_CANCEL, NGHTTP2_ENHANCE_YOUR_CALM, NGHTTP2_REFUSED_STREAM, NGHTTP2_STREAM_STATE_OPEN, NGHTTP2_STREAM_STATE_HALF_CLOSED_LOCAL } =
  http2.constants;

export interface ResponseLimits {
  /**
   * A response that has bytes waiting and has had none of its writes taken for this long is cut:
   * HTTP/2 RST_STREAM CANCEL (the session lives on), HTTP/1.1 the connection is closed. A response with
   * nothing to send (a SubscribeEvents stream waiting for an event) is not stalled.
   */
  writeStallTimeoutMs: number;
  /** HTTP/1.1: requests received on one connection and not yet completely answered (pipelining). */
  maxPipelinedRequests: number;
  /**
   * Bytes written to one connection's responses that its client has not taken yet. A request that
   * arrives while the connection holds this much is refused (HTTP/2 RST_STREAM ENHANCE_YOUR_CALM,
   * HTTP/1.1 connection closed), and so is a write: its response is cut the same way. A connection
   * holds at most this plus one write.
   */
  maxQueuedResponseBytes: number;
  /**
   * The same, over every connection of the gateway. Past it new requests are refused (HTTP/2
   * RST_STREAM REFUSED_STREAM, HTTP/1.1 `503` and close) and writes cut (as above).
   */
  maxQueuedResponseBytesTotal: number;
}

export const DEFAULT_RESPONSE_LIMITS: ResponseLimits = {
  // Like the request timeout: 30 s without a write taken is a client that is not reading.
  writeStallTimeoutMs: 30_000,
  // Browsers and the Connect/gRPC clients do not pipeline; 16 leaves room for one that does.
  maxPipelinedRequests: 16,
  // A stalled console file holds 16 KiB and an RPC answer at most ~80 KiB, so 4 MiB only refuses a
  // connection with well over a hundred answers unread (Node clients' default window is 64 KiB).
  maxQueuedResponseBytes: 4 * 1024 * 1024,
  // Sixteen connections at their cap. The probe's h2 attack (4 connections × 256 stalled GETs) counts
  // 16 MiB of it, for 43-45 MiB of RSS growth (docs/SECURITY.md).
  maxQueuedResponseBytesTotal: 64 * 1024 * 1024,
};

/** Monotonic milliseconds: stalls and idleness are measured on it. */
const now = () => performance.now();

/**
 * Every response of one gateway: their unsent total, and the ticker that times stalled writes and idle
 * HTTP/2 sessions. stop() when the listener closes.
 */
export class ResponseWatch {
  /** Bytes written to responses and not yet taken, over every connection. */
  unsent = 0;
  private readonly sessions = new Set<H2SessionGuard>();
  private readonly ticker: NodeJS.Timeout;

  constructor(readonly limits: ResponseLimits & { idleTimeoutMs: number }) {
    // A stall or an idle session is seen within a quarter of its timeout (at most 1 s) after it is due.
    const tickMs = Math.min(1_000, Math.max(10, Math.floor(Math.min(limits.writeStallTimeoutMs, limits.idleTimeoutMs) / 4)));
    this.ticker = setInterval(() => this.tick(), tickMs).unref();
  }

  /** True when the gateway holds its whole budget unsent: new requests are refused. */
  full(): boolean {
    return this.unsent >= this.limits.maxQueuedResponseBytesTotal;
  }

  track(session: H2SessionGuard): void {
    this.sessions.add(session);
  }

  untrack(session: H2SessionGuard): void {
    this.sessions.delete(session);
  }

  stop(): void {
    clearInterval(this.ticker);
  }

  private tick(): void {
    const at = now();
    for (const session of this.sessions) session.check(at);
  }
}

/** What one connection's responses hold unsent (it adds to the gateway's total), and their last progress. */
class ConnectionMeter {
  unsent = 0;
  lastProgressAt = now();

  constructor(private readonly watch: ResponseWatch) {}

  add(bytes: number): void {
    this.unsent += bytes;
    this.watch.unsent += bytes;
  }

  /** Another write would take this connection or the gateway past its cap. */
  full(): boolean {
    return this.unsent >= this.watch.limits.maxQueuedResponseBytes || this.watch.full();
  }
}

/** One response: bytes written and not yet taken (their write callbacks), and when it last sent any. */
class ResponseMeter {
  unsent = 0;
  lastProgressAt = now();
  private over = false;

  constructor(private readonly connection: ConnectionMeter) {}

  written(bytes: number): void {
    if (this.over) return;
    if (this.unsent === 0) this.lastProgressAt = now(); // waiting starts now
    this.unsent += bytes;
    this.connection.add(bytes);
  }

  taken(bytes: number): void {
    if (this.over) return;
    const taken = Math.min(bytes, this.unsent);
    this.unsent -= taken;
    this.connection.add(-taken);
    this.lastProgressAt = this.connection.lastProgressAt = now();
  }

  /** Everything was sent ('finish'), or the response is gone ('close'): it holds nothing any more. */
  settled(): void {
    if (!this.over) this.connection.add(-this.unsent);
    this.unsent = 0;
    this.over = true;
  }
}

type WriteCallback = (err?: Error | null) => void;
interface Writes {
  write(chunk: unknown, encoding?: unknown, cb?: unknown): boolean;
  end(chunk?: unknown, encoding?: unknown, cb?: unknown): unknown;
}

function byteLength(chunk: unknown, encoding: unknown): number {
  if (typeof chunk === "string") return Buffer.byteLength(chunk, typeof encoding === "string" ? (encoding as BufferEncoding) : "utf8");
  return chunk instanceof Uint8Array ? chunk.byteLength : 0;
}

/** Closed or destroyed: an HTTP/2 stream reset (by either side), or an HTTP/1.1 response cut. */
function gone(target: unknown): boolean {
  const { destroyed, closed } = target as { destroyed?: boolean; closed?: boolean };
  return destroyed === true || closed === true;
}

/**
 * Counts a response's writes in `meter`, each until its callback (node calls it once the bytes left for
 * the peer: HTTP/2 when the flow-control window let them out, HTTP/1.1 when the socket took them). A
 * write that finds the connection or the gateway full is not made: `cut()` ends the response instead.
 * Node exposes no count of a stream's bytes sent, so the response's own write and end are wrapped.
 * When the callback comes, and that end(chunk) bypasses write(), are undocumented (node-internals.ts).
 */
function meterWrites(target: Writes, meter: ResponseMeter, connection: ConnectionMeter, cut: () => void): void {
  const write = target.write;
  const end = target.end;
  target.write = function (chunk: unknown, encoding?: unknown, cb?: unknown): boolean {
    if (typeof encoding === "function") [encoding, cb] = [undefined, encoding];
    const callback = cb as WriteCallback | undefined;
    if (connection.full()) {
      cut();
      const refused = new Error("response cut: the connection or the gateway holds too much unsent");
      if (callback) process.nextTick(callback, refused);
      return false;
    }
    const bytes = byteLength(chunk, encoding);
    meter.written(bytes);
    return write.call(this, chunk, encoding, (err?: Error | null) => {
      // Node completes a reset stream's pending writes without an error: a response that is gone
      // made no progress ('close' settles its meter).
      if (!err && !gone(this)) meter.taken(bytes);
      callback?.(err);
    });
  };
  // end(chunk) writes its chunk without going through write() (HTTP/1.1): counted until 'finish'.
  target.end = function (chunk?: unknown, encoding?: unknown, cb?: unknown): unknown {
    if (chunk !== undefined && chunk !== null && typeof chunk !== "function") {
      if (connection.full()) {
        cut();
        return this;
      }
      meter.written(byteLength(chunk, typeof encoding === "function" ? undefined : encoding));
    }
    return end.call(this, chunk, encoding, cb);
  };
}

/** One HTTP/2 session: its open streams, their caps, stalls, and the idle timeout. */
export class H2SessionGuard {
  private readonly streams = new Map<http2.ServerHttp2Stream, ResponseMeter>();
  private readonly meter: ConnectionMeter;
  private lastRequestAt = now();
  private lastIdleAt = -Infinity;

  constructor(
    private readonly session: http2.ServerHttp2Session,
    private readonly watch: ResponseWatch,
  ) {
    this.meter = new ConnectionMeter(watch);
    watch.track(this);
    session.once("close", () => watch.untrack(this));
  }

  /** Takes a new stream under the caps before it is handled; false: it was refused (reset). */
  admit(stream: http2.ServerHttp2Stream): boolean {
    if (this.meter.unsent >= this.watch.limits.maxQueuedResponseBytes) {
      stream.close(NGHTTP2_ENHANCE_YOUR_CALM);
      return false;
    }
    if (this.watch.full()) {
      stream.close(NGHTTP2_REFUSED_STREAM); // not processed: the client may retry it
      return false;
    }
    const meter = new ResponseMeter(this.meter);
    this.streams.set(stream, meter);
    this.lastRequestAt = now();
    meterWrites(stream, meter, this.meter, () => stream.close(NGHTTP2_ENHANCE_YOUR_CALM));
    stream.once("finish", () => meter.settled());
    stream.once("close", () => {
      meter.settled();
      this.streams.delete(stream);
    });
    return true;
  }

  /**
   * Called by the watch's ticker. A stream with bytes waiting and no write taken for
   * writeStallTimeoutMs is reset. The session is idle when for idleTimeoutMs no request came and no
   * stream's write was taken, and no request is still being received: control frames (PING, SETTINGS,
   * WINDOW_UPDATE, RST_STREAM) do not count.
   */
  check(at: number): void {
    const { writeStallTimeoutMs, idleTimeoutMs } = this.watch.limits;
    for (const [stream, meter] of this.streams) {
      if (meter.unsent > 0 && at - meter.lastProgressAt >= writeStallTimeoutMs) stream.close(NGHTTP2_CANCEL);
    }
    if (at - Math.max(this.lastRequestAt, this.meter.lastProgressAt, this.lastIdleAt) < idleTimeoutMs) return;
    for (const stream of this.streams.keys()) if (receiving(stream)) return; // the request timeout's business
    this.onIdle(at);
  }

  /**
   * Idle: streams with bytes waiting are reset, the session gets GOAWAY; streams with nothing to send
   * (a quiet SubscribeEvents, a call still waiting for its answer) go on, and the connection closes when
   * the last one ends. Each further idle period resets what has stalled since.
   */
  private onIdle(at: number): void {
    this.lastIdleAt = at;
    for (const [stream, meter] of this.streams) if (meter.unsent > 0) stream.close(NGHTTP2_CANCEL);
    this.session.close();
  }
}

/** The peer is still sending this stream's request. */
function receiving(stream: http2.ServerHttp2Stream): boolean {
  const state = stream.state?.state;
  return state === NGHTTP2_STREAM_STATE_OPEN || state === NGHTTP2_STREAM_STATE_HALF_CLOSED_LOCAL;
}

/** Sent when the gateway holds its whole budget of unsent response bytes. */
const BUSY_BODY = JSON.stringify({
  error: { code: "rate_limited", message: "the gateway holds too many answers that their clients do not read; retry shortly" },
});

/** One HTTP/1.1 connection: its responses in flight (pipelined ones included) and their caps. */
export class H1ConnectionGuard {
  readonly responses = new Set<http.ServerResponse>();
  private readonly meter: ConnectionMeter;

  constructor(
    private readonly socket: net.Socket,
    private readonly watch: ResponseWatch,
  ) {
    this.meter = new ConnectionMeter(watch);
  }

  /**
   * Takes a new request's response under the caps before it is handled; false: it was refused (the
   * connection closed, or `503` answered when the gateway is full).
   */
  admit(res: http.ServerResponse): boolean {
    const { maxPipelinedRequests, maxQueuedResponseBytes } = this.watch.limits;
    if (this.responses.size >= maxPipelinedRequests || this.meter.unsent >= maxQueuedResponseBytes) {
      this.socket.destroy();
      return false;
    }
    if (this.watch.full()) {
      res.writeHead(503, { "content-type": "application/json", "retry-after": "1", connection: "close" });
      res.end(BUSY_BODY);
      return false;
    }
    const meter = new ResponseMeter(this.meter);
    this.responses.add(res);
    meterWrites(res as unknown as Writes, meter, this.meter, () => this.socket.destroy());
    res.once("finish", () => meter.settled());
    res.once("close", () => {
      meter.settled();
      this.responses.delete(res);
    });
    return true;
  }

  /**
   * The socket's inactivity timer fired (no byte moved for min(writeStallTimeoutMs, idleTimeoutMs), or
   * the keep-alive timeout between requests): closed if idle or stalled; a response that is merely
   * waiting (a backend call, a quiet SubscribeEvents stream) keeps it. (A client cannot keep this timer
   * going while it does not read: node stops reading a connection whose answers back up.)
   */
  onInactive(): void {
    const stalled = this.socket.writableLength > 0 || this.meter.unsent > 0;
    if (this.responses.size === 0 || stalled) this.socket.destroy();
  }
}
