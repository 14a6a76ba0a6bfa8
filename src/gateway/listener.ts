// One TCP listener for HTTP/2 and HTTP/1.1, composed of one module per job (listener/): the sniffer
// decides each connection's protocol (the cleartext h2 preface, or TLS ALPN) and hands it to the
// HTTP/1.1 or HTTP/2 side, each applying the listener's limits its own way (limits.ts) and counting
// what its responses hold unsent (response-limits.ts); both call one request handler. close() drains
// (drain.ts): stop accepting, let calls finish within a bound, then cut.
import type http from "node:http";
import type http2 from "node:http2";
import net from "node:net";
import { ResponseWatch } from "./response-limits.js";
import { drain, OpenSockets } from "./listener/drain.js";
import { Http1Connections } from "./listener/http1.js";
import { Http2Connections } from "./listener/http2.js";
import { DEFAULT_LISTENER_LIMITS, type ListenerLimits } from "./listener/limits.js";
import { createTlsServer, ProtocolSniffer, type TlsCredentials } from "./listener/sniff.js";

export { ABORT_GRACE_MS } from "./listener/drain.js";
export { DEFAULT_LISTENER_LIMITS, type ListenerLimits } from "./listener/limits.js";
export type { TlsCredentials } from "./listener/sniff.js";

export type RequestHandler = (
  req: http.IncomingMessage | http2.Http2ServerRequest,
  res: http.ServerResponse | http2.Http2ServerResponse,
) => void;

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
  const tlsServer = options.tls && createTlsServer(options.tls, limits.sniffTimeoutMs);
  // What all responses hold unsent, and the ticker timing stalls and idle HTTP/2 sessions.
  const watch = new ResponseWatch(limits);
  const h1 = new Http1Connections(limits, watch, handler);
  const h2 = new Http2Connections(limits, watch, handler);
  const sniffer = new ProtocolSniffer(limits.sniffTimeoutMs, tlsServer, (conn, isH2) => (isH2 ? h2.take(conn) : h1.take(conn)));
  const sockets = new OpenSockets();

  const tcp = net.createServer((socket) => {
    sockets.add(socket);
    socket.setNoDelay(true);
    sniffer.accept(socket);
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
    h1.stop();
    throw err;
  });
  const address = tcp.address() as net.AddressInfo;

  return {
    port: address.port,
    host,
    secure: tlsServer !== undefined,
    async close(drainMs: number, onDrainTimeout?: () => void) {
      await drain(
        {
          stopAccepting: () => new Promise<void>((resolve) => tcp.close(() => resolve())),
          windDown: () => {
            sniffer.cutPending();
            h2.goAway();
            h1.closeWhenIdle();
          },
          draining: () => [...h2.sockets(), ...h1.sockets()],
          cut: () => {
            h2.destroy();
            sockets.destroyAll();
          },
        },
        drainMs,
        onDrainTimeout,
      );
      watch.stop();
      h1.stop();
    },
  };
}
