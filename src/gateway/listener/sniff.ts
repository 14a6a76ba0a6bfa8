// Which protocol a new connection speaks. In cleartext, node's http2 cannot fall back to HTTP/1.1
// without TLS ALPN, so each connection's first bytes are sniffed: the h2 preface means HTTP/2 (prior
// knowledge), anything else HTTP/1.1. With a certificate the port speaks TLS only and ALPN decides
// (`h2`, else HTTP/1.1). Either way within sniffTimeoutMs, or the connection is closed.
import type net from "node:net";
import tls from "node:tls";

/** PEM certificate chain and private key: the listener then serves TLS only (ALPN h2, http/1.1). */
export interface TlsCredentials {
  cert: string | Buffer;
  key: string | Buffer;
}

/** Where a connection goes once its protocol is known. */
export type HandOver = (conn: net.Socket, isH2: boolean) => void;

const H2_PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");

export class ProtocolSniffer {
  // Connections still being sniffed (or in their TLS handshake): a shutdown cuts them at once.
  private readonly pending = new Set<net.Socket>();
  // TLS: the raw socket is handed to a tls.Server that never listens itself (like the http servers);
  // its TLSSocket comes back on 'secureConnection' once the handshake is done, and ALPN decides (`h2`;
  // `http/1.1` or none: HTTP/1.1). Node links the two only through the peer's address and port.
  private readonly handshaking = new Map<string, () => void>();

  constructor(
    private readonly sniffTimeoutMs: number,
    private readonly tlsServer: tls.Server | undefined,
    private readonly handOver: HandOver,
  ) {
    tlsServer?.on("secureConnection", (secure: tls.TLSSocket) => {
      const peer = peerOf(secure);
      this.handshaking.get(peer)?.();
      this.handshaking.delete(peer);
      handOver(secure, secure.alpnProtocol === "h2");
    });
  }

  /** A new TCP connection: its protocol is decided, then it is handed over. */
  accept(socket: net.Socket): void {
    this.pending.add(socket);
    // Absolute, not an inactivity timeout: dribbling the preface (or a handshake) a byte at a time does not extend it.
    const sniffTimer = setTimeout(() => socket.destroy(), this.sniffTimeoutMs);
    const onEarlyError = () => socket.destroy();
    socket.on("error", onEarlyError);
    socket.once("close", () => {
      clearTimeout(sniffTimer);
      this.pending.delete(socket);
    });
    const done = () => {
      socket.off("error", onEarlyError);
      clearTimeout(sniffTimer);
      this.pending.delete(socket);
    };
    if (this.tlsServer) this.startTls(this.tlsServer, socket, done);
    else this.sniff(socket, done);
  }

  /** Shutdown: connections whose protocol is not known yet are cut. */
  cutPending(): void {
    for (const socket of this.pending) socket.destroy();
  }

  /** Cleartext: the h2 preface means HTTP/2 (prior knowledge), anything else HTTP/1.1. */
  private sniff(socket: net.Socket, done: () => void): void {
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
      this.handOver(socket, isH2Prefix);
    };
    socket.on("readable", onReadable);
  }

  private startTls(server: tls.Server, socket: net.Socket, done: () => void): void {
    const peer = peerOf(socket);
    this.handshaking.set(peer, done);
    socket.once("close", () => this.handshaking.delete(peer));
    server.emit("connection", socket);
  }
}

const peerOf = (socket: net.Socket) => `${socket.remoteAddress}|${socket.remotePort}`;

/** The TLS side of the listener, or a clear error naming what did not load. */
export function createTlsServer(credentials: TlsCredentials, sniffTimeoutMs: number): tls.Server {
  try {
    return tls.createServer({
      cert: credentials.cert,
      key: credentials.key,
      minVersion: "TLSv1.2",
      ALPNProtocols: ["h2", "http/1.1"],
      // Node's own handshake timer restarts on activity; the absolute sniff timer is what holds.
      handshakeTimeout: sniffTimeoutMs,
    });
  } catch (err) {
    throw new Error(`TLS certificate or key unusable: ${err instanceof Error ? err.message : String(err)}`);
  }
}
