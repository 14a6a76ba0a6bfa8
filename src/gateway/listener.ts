// One TCP listener for HTTP/2 and HTTP/1.1. In cleartext, node's http2 cannot fall back to HTTP/1.1
// without TLS ALPN, so each connection's first bytes are sniffed: the h2 preface goes to an http2
// server (prior knowledge), anything else to an http server. With a certificate the same port speaks
// TLS only and ALPN decides (`h2`, else HTTP/1.1). Both servers share one request handler and the same
// limits (response-limits.ts for what a connection may hold unsent). Sessions and sockets are tracked
// so that close() can drain and then cut them.
import http from "node:http";
import http2 from "node:http2";
import net from "node:net";
import tls from "node:tls";
import { DEFAULT_RESPONSE_LIMITS, H1ConnectionGuard, H2SessionGuard, ResponseWatch, type ResponseLimits } from "./response-limits.js";

export type RequestHandler = (
  req: http.IncomingMessage | http2.Http2ServerRequest,
  res: http.ServerResponse | http2.Http2ServerResponse,
) => void;

/** After the drain timeout: how long aborted calls get to write their answers before connections are cut. */
export const ABORT_GRACE_MS = 500;

const H2_PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
const { NGHTTP2_STREAM_STATE_OPEN, NGHTTP2_STREAM_STATE_HALF_CLOSED_LOCAL } = http2.constants;

export interface ListenerLimits extends ResponseLimits {
  /**
   * A connection whose first bytes (up to the h2 preface), or with TLS whose handshake, do not arrive
   * within this time is closed.
   */
  sniffTimeoutMs: number;
  /** HTTP/1.1: time allowed to receive a request's headers, from its first byte (then 408 + close). */
  headersTimeoutMs: number;
  /**
   * Time allowed to receive a whole request (headers and body): HTTP/1.1 answers 408 and closes the
   * connection, HTTP/2 resets the stream (CANCEL). Responses (SubscribeEvents streams) are not limited.
   */
  requestTimeoutMs: number;
  /**
   * An idle connection is closed. HTTP/1.1: no byte moved either way for this long, between requests
   * or with its response stalled. HTTP/2: no request came and no response byte was taken for this long
   * (PING, SETTINGS and other control frames do not count); it gets GOAWAY with its stalled streams
   * reset, and streams that have nothing to send (a quiet SubscribeEvents) go on until they end.
   */
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
  // A developer's browser, tools and tests: a few dozen connections. 1,000 leaves room for load tests
  // and bounds the worst case (each holding a file descriptor and its kernel buffers).
  maxConnections: 1_000,
  ...DEFAULT_RESPONSE_LIMITS,
};

/** PEM certificate chain and private key: the listener then serves TLS only (ALPN h2, http/1.1). */
export interface TlsCredentials {
  cert: string | Buffer;
  key: string | Buffer;
}

export interface ListenOptions {
  host: string;
  port: number;
  limits?: ListenerLimits;
  /** Serve TLS only. A certificate or key that does not load (or a pair that does not match) throws. */
  tls?: TlsCredentials;
}

export interface Listener {
  readonly port: number;
  readonly host: string;
  /** True when it serves TLS. */
  readonly secure: boolean;
  /**
   * Stops accepting, lets in-flight requests finish for up to `drainMs`; then calls `onDrainTimeout`
   * (which should make the remaining calls answer) and waits up to ABORT_GRACE_MS more for those
   * answers; then cuts what remains. Resolves within drainMs + ABORT_GRACE_MS.
   */
  close(drainMs: number, onDrainTimeout?: () => void): Promise<void>;
}

export async function listen(handler: RequestHandler, options: ListenOptions): Promise<Listener> {
  const { host, port } = options;
  const limits = options.limits ?? DEFAULT_LISTENER_LIMITS;
  const tlsServer = options.tls && createTlsServer(options.tls, limits);
  const requestTimeout = limits.requestTimeoutMs;
  let closing = false;
  // What all responses hold unsent, and the ticker timing stalls and idle HTTP/2 sessions.
  const watch = new ResponseWatch(limits);

  // HTTP/1.1 connections, with their responses in flight. The http server never listens itself, so its
  // own idle-connection tracking (closeIdleConnections) is not set up: in-flight responses are counted here.
  const h1Guards = new Map<net.Socket, H1ConnectionGuard>();
  const h1 = http.createServer(
    {
      maxHeaderSize: limits.maxHeaderBytes,
      requestTimeout,
      headersTimeout: Math.min(limits.headersTimeoutMs, requestTimeout),
      keepAliveTimeout: limits.idleTimeoutMs,
      // How often expired headers/request timers are looked for: a quarter of the shortest one.
      connectionsCheckingInterval: Math.max(10, Math.min(1_000, Math.floor(Math.min(limits.headersTimeoutMs, requestTimeout) / 4))),
    },
    (req, res) => {
      const socket = req.socket;
      const guard = h1Guards.get(socket);
      if (!guard || !guard.admit(res)) return; // closed: past a cap, or cut while its pipeline was parsed
      res.once("close", () => {
        if (closing && guard.responses.size === 0) socket.destroy();
      });
      handler(req, res);
    },
  );
  // The http server never listens itself (it is handed sockets), and node starts its headers/request
  // timeout tracking on 'listening': without this, a client could dribble a request head forever.
  h1.emit("listening");
  // Socket inactivity: node arms it on each connection, and with the keep-alive timeout between requests.
  h1.timeout = Math.min(limits.writeStallTimeoutMs, limits.idleTimeoutMs);
  h1.on("timeout", (socket: net.Socket) => {
    const guard = h1Guards.get(socket);
    if (guard) guard.onInactive();
    else socket.destroy();
  });

  const h2Guards = new Map<http2.ServerHttp2Session, H2SessionGuard>();
  const h2 = http2.createServer(
    {
      maxSessionMemory: 32,
      maxHeaderListPairs: 128,
      settings: { maxConcurrentStreams: limits.maxConcurrentStreams, maxHeaderListSize: limits.maxHeaderBytes },
    },
    (req, res) => {
      const session = req.stream.session as http2.ServerHttp2Session | undefined;
      const guard = session && h2Guards.get(session);
      if (!guard || !guard.admit(req.stream)) return;
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
  h2.on("session", (session) => {
    h2Guards.set(session, new H2SessionGuard(session, watch));
    session.once("close", () => h2Guards.delete(session));
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
  // Connections still being sniffed (or in their TLS handshake): close() cuts them at once.
  const pending = new Set<net.Socket>();
  // HTTP/2 connections. A session closed gracefully (GOAWAY) ends its socket's writable side when its
  // last stream is done, then would wait for the client's FIN, which a client may never send: the
  // socket is closed as soon as its writable side has finished.
  const h2Sockets = new Set<net.Socket>();

  /** A connection whose protocol is known (after the sniff, or the TLS handshake) goes to its server. */
  const handOver = (conn: net.Socket, isH2: boolean) => {
    if (isH2) {
      h2Sockets.add(conn);
      conn.once("finish", () => conn.destroy());
      conn.once("close", () => h2Sockets.delete(conn));
      h2.emit("connection", conn);
    } else {
      h1Guards.set(conn, new H1ConnectionGuard(conn, watch));
      conn.once("close", () => h1Guards.delete(conn));
      h1.emit("connection", conn);
    }
  };

  /** Cleartext: the h2 preface means HTTP/2 (prior knowledge), anything else HTTP/1.1. */
  const sniff = (socket: net.Socket, done: () => void) => {
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
      socket.unshift(seen);
      done();
      handOver(socket, isH2Prefix);
    };
    socket.on("readable", onReadable);
  };

  // TLS: the raw socket is handed to a tls.Server that never listens itself (like the http servers);
  // its TLSSocket comes back on 'secureConnection' once the handshake is done, and ALPN decides (`h2`;
  // `http/1.1` or none: HTTP/1.1). Node links the two only through the peer's address and port.
  const handshaking = new Map<string, () => void>();
  const peerOf = (socket: net.Socket) => `${socket.remoteAddress}|${socket.remotePort}`;
  tlsServer?.on("secureConnection", (secure: tls.TLSSocket) => {
    const peer = peerOf(secure);
    handshaking.get(peer)?.();
    handshaking.delete(peer);
    handOver(secure, secure.alpnProtocol === "h2");
  });
  const startTls = (server: tls.Server, socket: net.Socket, done: () => void) => {
    const peer = peerOf(socket);
    handshaking.set(peer, done);
    socket.once("close", () => handshaking.delete(peer));
    server.emit("connection", socket);
  };

  const tcp = net.createServer((socket) => {
    sockets.add(socket);
    pending.add(socket);
    socket.setNoDelay(true);
    // Absolute, not an inactivity timeout: dribbling the preface (or a handshake) a byte at a time does not extend it.
    const sniffTimer = setTimeout(() => socket.destroy(), limits.sniffTimeoutMs);
    const onEarlyError = () => socket.destroy();
    socket.on("error", onEarlyError);
    socket.once("close", () => {
      clearTimeout(sniffTimer);
      sockets.delete(socket);
      pending.delete(socket);
    });
    const done = () => {
      socket.off("error", onEarlyError);
      clearTimeout(sniffTimer);
      pending.delete(socket);
    };
    if (tlsServer) startTls(tlsServer, socket, done);
    else sniff(socket, done);
  });
  tcp.maxConnections = limits.maxConnections;

  await new Promise<void>((resolve, reject) => {
    tcp.once("error", reject);
    tcp.listen(port, host, () => {
      tcp.off("error", reject);
      resolve();
    });
  }).catch((err: unknown) => {
    watch.stop();
    throw err;
  });
  const address = tcp.address() as net.AddressInfo;

  return {
    port: address.port,
    host,
    secure: tlsServer !== undefined,
    async close(drainMs: number, onDrainTimeout?: () => void) {
      const closed = new Promise<void>((resolve) => tcp.close(() => resolve()));
      for (const socket of pending) socket.destroy();
      for (const session of h2Guards.keys()) session.close(); // GOAWAY: no new streams, open ones finish
      // HTTP/1.1: idle keep-alive sockets go now, busy ones as soon as their last response ends.
      closing = true;
      for (const [socket, guard] of h1Guards) if (guard.responses.size === 0) socket.destroy();
      const drained = Promise.all(
        [...h2Sockets, ...h1Guards.keys()].map((s) => new Promise<void>((r) => (s.destroyed ? r() : s.once("close", () => r())))),
      );
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
      for (const session of h2Guards.keys()) session.destroy();
      for (const socket of sockets) socket.destroy();
      await closed;
      watch.stop();
    },
  };
}

/** The TLS side of the listener, or a clear error naming what did not load. */
function createTlsServer(credentials: TlsCredentials, limits: ListenerLimits): tls.Server {
  try {
    return tls.createServer({
      cert: credentials.cert,
      key: credentials.key,
      minVersion: "TLSv1.2",
      ALPNProtocols: ["h2", "http/1.1"],
      // Node's own handshake timer restarts on activity; the absolute sniff timer is what holds.
      handshakeTimeout: limits.sniffTimeoutMs,
    });
  } catch (err) {
    throw new Error(`TLS certificate or key unusable: ${err instanceof Error ? err.message : String(err)}`);
  }
}

function headerListSize(rawHeaders: readonly string[]): number {
  let size = 0;
  for (const field of rawHeaders) size += field.length + 16; // name and value each: length + half of 32
  return size;
}
