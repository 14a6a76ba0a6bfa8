// HTTP/1.1 connections, handed over by the sniffer: node's http server under the listener's limits
// (head size, headers and request timeouts, keep-alive idleness), with each connection's responses in
// flight counted and capped (response-limits.ts).
import http from "node:http";
import type net from "node:net";
import { startRequestTimeouts } from "../node-internals.js";
import { H1ConnectionGuard, type ResponseWatch } from "../response-limits.js";
import type { ListenerLimits } from "./limits.js";

export type Http1Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

export class Http1Connections {
  private readonly server: http.Server;
  // Each connection with its responses in flight, counted here (with public events) rather than through
  // node's own connection list (closeIdleConnections): the drain closes idle ones at once, busy ones
  // when their last response ends.
  private readonly guards = new Map<net.Socket, H1ConnectionGuard>();
  private closing = false;
  private readonly stopRequestTimeouts: () => void;

  constructor(
    limits: ListenerLimits,
    private readonly watch: ResponseWatch,
    handler: Http1Handler,
  ) {
    const requestTimeout = limits.requestTimeoutMs;
    this.server = http.createServer(
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
        const guard = this.guards.get(socket);
        if (!guard || !guard.admit(res)) return; // closed: past a cap, or cut while its pipeline was parsed
        res.once("close", () => {
          if (this.closing && guard.responses.size === 0) socket.destroy();
        });
        handler(req, res);
      },
    );
    // The http server never listens itself (it is handed sockets): its headers/request timeouts need
    // starting (node-internals.ts), and stopping when the listener closes.
    this.stopRequestTimeouts = startRequestTimeouts(this.server);
    // Socket inactivity: node arms it on each connection, and with the keep-alive timeout between requests.
    this.server.timeout = Math.min(limits.writeStallTimeoutMs, limits.idleTimeoutMs);
    this.server.on("timeout", (socket: net.Socket) => {
      const guard = this.guards.get(socket);
      if (guard) guard.onInactive();
      else socket.destroy();
    });
  }

  /** A connection that speaks HTTP/1.1 (after the sniff, or ALPN). */
  take(socket: net.Socket): void {
    this.guards.set(socket, new H1ConnectionGuard(socket, this.watch));
    socket.once("close", () => this.guards.delete(socket));
    this.server.emit("connection", socket);
  }

  /** Shutdown: idle keep-alive connections go now, busy ones as soon as their last response ends. */
  closeWhenIdle(): void {
    this.closing = true;
    for (const [socket, guard] of this.guards) if (guard.responses.size === 0) socket.destroy();
  }

  /** The connections still open. */
  sockets(): Iterable<net.Socket> {
    return this.guards.keys();
  }

  /** After the drain (or a failed listen): the request timeouts stop, and nothing holds the server any more. */
  stop(): void {
    this.stopRequestTimeouts();
  }
}
