// One TCP listener for HTTP/2 cleartext (prior knowledge) and HTTP/1.1. Node's http2 cannot fall
// back to HTTP/1.1 without TLS ALPN, so each connection's first bytes are sniffed: the h2 preface
// goes to an http2 server, anything else to an http server; both share one request handler.
// Sessions and sockets are tracked so that close() can drain and then cut them.
import http from "node:http";
import http2 from "node:http2";
import net from "node:net";

export type RequestHandler = (
  req: http.IncomingMessage | http2.Http2ServerRequest,
  res: http.ServerResponse | http2.Http2ServerResponse,
) => void;

/** After the drain timeout: how long aborted calls get to write their answers before connections are cut. */
export const ABORT_GRACE_MS = 500;

const H2_PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
const { NGHTTP2_STREAM_STATE_OPEN, NGHTTP2_STREAM_STATE_HALF_CLOSED_LOCAL } = http2.constants;

export interface ListenerLimits {
  /** A connection whose first bytes (up to the h2 preface) do not arrive within this time is closed. */
  sniffTimeoutMs: number;
  /** HTTP/1.1: time allowed to receive a request's headers, from its first byte (then 408 + close). */
  headersTimeoutMs: number;
  /**
   * Time allowed to receive a whole request (headers and body): HTTP/1.1 answers 408 and closes the
   * connection, HTTP/2 resets the stream (CANCEL). Responses (SubscribeEvents streams) are not limited.
   */
  requestTimeoutMs: number;
  /** Idle keep-alive connections (HTTP/1.1) and idle h2 sessions are closed after this. */
  idleTimeoutMs: number;
  /** Request head (HTTP/1.1: 431) or header list (HTTP/2 SETTINGS_MAX_HEADER_LIST_SIZE). */
  maxHeaderBytes: number;
  /** HTTP/2: concurrent streams per connection (SETTINGS_MAX_CONCURRENT_STREAMS). */
  maxConcurrentStreams: number;
  /** Open TCP connections; past it new ones are closed at once. */
  maxConnections: number;
}

export const DEFAULT_LISTENER_LIMITS: ListenerLimits = {
  sniffTimeoutMs: 10_000,
  headersTimeoutMs: 15_000,
  requestTimeoutMs: 30_000,
  idleTimeoutMs: 120_000,
  maxHeaderBytes: 16 * 1024,
  maxConcurrentStreams: 256,
  maxConnections: 10_000,
};

export interface Listener {
  readonly port: number;
  readonly host: string;
  /**
   * Stops accepting, lets in-flight requests finish for up to `drainMs`; then calls `onDrainTimeout`
   * (which should make the remaining calls answer) and waits up to ABORT_GRACE_MS more for those
   * answers; then cuts what remains. Resolves within drainMs + ABORT_GRACE_MS.
   */
  close(drainMs: number, onDrainTimeout?: () => void): Promise<void>;
}

export async function listen(
  handler: RequestHandler,
  host: string,
  port: number,
  limits: ListenerLimits = DEFAULT_LISTENER_LIMITS,
): Promise<Listener> {
  const requestTimeout = limits.requestTimeoutMs;
  const h1 = http.createServer(
    {
      maxHeaderSize: limits.maxHeaderBytes,
      requestTimeout,
      headersTimeout: Math.min(limits.headersTimeoutMs, requestTimeout),
      keepAliveTimeout: limits.idleTimeoutMs,
      // How often expired headers/request timers are looked for: a quarter of the shortest one.
      connectionsCheckingInterval: Math.max(10, Math.min(1_000, Math.floor(Math.min(limits.headersTimeoutMs, requestTimeout) / 4))),
    },
    handler,
  );
  // The http server never listens itself (it is handed sockets), and node starts its headers/request
  // timeout tracking on 'listening': without this, a client could dribble a request head forever.
  h1.emit("listening");
  const h2 = http2.createServer(
    {
      maxSessionMemory: 32,
      maxHeaderListPairs: 128,
      settings: { maxConcurrentStreams: limits.maxConcurrentStreams, maxHeaderListSize: limits.maxHeaderBytes },
    },
    (req, res) => {
      // Node advertises SETTINGS_MAX_HEADER_LIST_SIZE but only enforces its own 64 KiB: enforce ours
      // (RFC 9113 counting: name + value + 32 per field), with the answer HTTP/1.1 gives (431).
      if (headerListSize(req.rawHeaders) > limits.maxHeaderBytes) {
        res.writeHead(431);
        res.end();
        return;
      }
      handler(req, res);
    },
  );

  // The http server never listens itself, so its own idle-connection tracking (closeIdleConnections)
  // is not set up: in-flight requests per socket are counted here instead.
  const h1Sockets = new Map<net.Socket, number>();
  let closing = false;
  h1.on("request", (req: http.IncomingMessage, res: http.ServerResponse) => {
    const socket = req.socket;
    h1Sockets.set(socket, (h1Sockets.get(socket) ?? 0) + 1);
    res.once("close", () => {
      const inFlight = (h1Sockets.get(socket) ?? 1) - 1;
      if (h1Sockets.has(socket)) h1Sockets.set(socket, inFlight);
      if (closing && inFlight === 0) socket.destroy();
    });
  });
  const h2Sessions = new Set<http2.ServerHttp2Session>();
  const pending = new Set<net.Socket>();
  h2.on("session", (session) => {
    h2Sessions.add(session);
    // Graceful: a quiet session gets GOAWAY, but streams still open on it (SubscribeEvents) go on.
    session.setTimeout(limits.idleTimeoutMs, () => session.close());
    session.once("close", () => h2Sessions.delete(session));
  });
  // HTTP/2 has no request timeout of its own: a stream whose request body is still incomplete after
  // requestTimeoutMs is reset. Streams whose peer finished sending are left alone (they may be long
  // SubscribeEvents responses).
  h2.on("stream", (stream: http2.ServerHttp2Stream) => {
    if (stream.endAfterHeaders) return;
    const timer = setTimeout(() => {
      const state = stream.state?.state;
      if (!stream.destroyed && (state === NGHTTP2_STREAM_STATE_OPEN || state === NGHTTP2_STREAM_STATE_HALF_CLOSED_LOCAL)) {
        stream.close(http2.constants.NGHTTP2_CANCEL);
      }
    }, requestTimeout);
    stream.once("close", () => clearTimeout(timer));
  });

  // Every TCP connection, whatever it became: close() cuts them all at the end.
  const sockets = new Set<net.Socket>();
  // HTTP/2 connections. A session closed gracefully (GOAWAY) ends its socket's writable side when its
  // last stream is done, then waits for the client's FIN, which a client may never send: a connection
  // counts as drained once its writable side has finished.
  const h2Sockets = new Set<net.Socket>();
  const tcp = net.createServer((socket) => {
    sockets.add(socket);
    socket.once("close", () => {
      sockets.delete(socket);
      h2Sockets.delete(socket);
    });
    pending.add(socket);
    socket.setNoDelay(true);
    // Absolute, not an inactivity timeout: dribbling the preface a byte at a time does not extend it.
    const sniffTimer = setTimeout(() => socket.destroy(), limits.sniffTimeoutMs);
    // Sniff with 'readable' + read(), never 'data': a socket left in flowing mode loses the
    // unshifted bytes when http2 takes over its handle (nodejs/node#34532).
    let seen = Buffer.alloc(0);
    const onReadable = () => {
      let chunk: Buffer | null;
      while ((chunk = socket.read() as Buffer | null) !== null) seen = Buffer.concat([seen, chunk]);
      const n = Math.min(seen.length, H2_PREFACE.length);
      if (n === 0) return;
      const isH2Prefix = seen.subarray(0, n).equals(H2_PREFACE.subarray(0, n));
      if (isH2Prefix && seen.length < H2_PREFACE.length) return; // could still be h2: wait for more
      socket.off("readable", onReadable);
      socket.off("error", onEarlyError);
      socket.unshift(seen);
      clearTimeout(sniffTimer);
      pending.delete(socket);
      if (isH2Prefix) {
        h2Sockets.add(socket);
        h2.emit("connection", socket);
      } else {
        h1Sockets.set(socket, 0);
        socket.once("close", () => h1Sockets.delete(socket));
        h1.emit("connection", socket);
      }
    };
    const onEarlyError = () => socket.destroy();
    socket.on("readable", onReadable);
    socket.on("error", onEarlyError);
    socket.once("close", () => {
      clearTimeout(sniffTimer);
      pending.delete(socket);
    });
  });
  tcp.maxConnections = limits.maxConnections;

  await new Promise<void>((resolve, reject) => {
    tcp.once("error", reject);
    tcp.listen(port, host, () => {
      tcp.off("error", reject);
      resolve();
    });
  });
  const address = tcp.address() as net.AddressInfo;

  return {
    port: address.port,
    host,
    async close(drainMs: number, onDrainTimeout?: () => void) {
      const closed = new Promise<void>((resolve) => tcp.close(() => resolve()));
      for (const socket of pending) socket.destroy();
      for (const session of h2Sessions) session.close(); // GOAWAY: no new streams, open ones finish
      // HTTP/1.1: idle keep-alive sockets go now, busy ones as soon as their last response ends.
      closing = true;
      for (const [socket, inFlight] of h1Sockets) if (inFlight === 0) socket.destroy();
      const drained = Promise.all([
        ...[...h2Sockets].map((s) => new Promise<void>((r) => (s.destroyed || s.writableFinished ? r() : s.once("finish", r).once("close", r)))),
        ...[...h1Sockets.keys()].map((s) => new Promise<void>((r) => (s.destroyed ? r() : s.once("close", () => r())))),
      ]);
      const within = async (ms: number): Promise<boolean> => {
        let timer: NodeJS.Timeout | undefined;
        const done = await Promise.race([drained.then(() => true), new Promise<boolean>((r) => (timer = setTimeout(() => r(false), ms)))]);
        clearTimeout(timer);
        return done;
      };
      if (!(await within(drainMs)) && onDrainTimeout) {
        // Calls still running get to answer (UNAVAILABLE) rather than lose their connection unanswered.
        onDrainTimeout();
        await within(ABORT_GRACE_MS);
      }
      for (const session of h2Sessions) session.destroy();
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}

function headerListSize(rawHeaders: readonly string[]): number {
  let size = 0;
  for (const field of rawHeaders) size += field.length + 16; // name and value each: length + half of 32
  return size;
}
