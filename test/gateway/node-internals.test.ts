// Each undocumented Node behaviour listed in src/gateway/node-internals.ts, exercised directly on real
// sockets. A failure names the behaviour, the running Node and the version it was verified on: an
// upgrade changed it, and node-internals.ts (and what uses it) must follow.
import http from "node:http";
import http2 from "node:http2";
import net from "node:net";
import { once } from "node:events";
import { afterEach, describe, expect, it } from "vitest";
import { headerOctets, NODE_VERIFIED, startRequestTimeouts } from "../../src/gateway/node-internals.js";
import { releasedAfterClose } from "../hardening/children.js";
import { REQUEST_DEADLINE_MS } from "../hardening/support.js";

/** The message of a failed guard: what Node no longer does. */
function changed(behaviour: string): string {
  return `Node ${process.version} (node-internals.ts verified on ${NODE_VERIFIED}) changed: ${behaviour}`;
}

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

/** A TCP server on 127.0.0.1 handing each connection to `inner` ('connection', as the listener does). */
async function handingTo(inner: net.Server, onSocket?: (socket: net.Socket) => void): Promise<number> {
  const tcp = net.createServer((socket) => {
    onSocket?.(socket);
    inner.emit("connection", socket);
  });
  await new Promise<void>((resolve) => tcp.listen(0, "127.0.0.1", resolve));
  cleanups.push(() => tcp.close());
  return (tcp.address() as net.AddressInfo).port;
}

/** Connects, writes `bytes`, and resolves with everything received once the server closed the connection. */
function sendAndWaitForClose(port: number, bytes: string | Buffer): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    const chunks: Buffer[] = [];
    const deadline = setTimeout(() => {
      socket.destroy();
      resolve(`(still open after ${REQUEST_DEADLINE_MS} ms)`);
    }, REQUEST_DEADLINE_MS);
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    socket.on("error", () => {}); // a reset is a close too
    socket.once("close", () => {
      clearTimeout(deadline);
      resolve(Buffer.concat(chunks).toString("latin1"));
    });
    socket.write(bytes);
  });
}

describe("startRequestTimeouts: an http.Server that never listens", () => {
  it("answers 408 and closes a handed connection whose request head does not complete in headersTimeout", async () => {
    const server = http.createServer({ headersTimeout: 100, requestTimeout: 200, connectionsCheckingInterval: 20 }, (_req, res) => res.end());
    cleanups.push(startRequestTimeouts(server));
    const port = await handingTo(server);
    const received = await sendAndWaitForClose(port, "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n"); // the head never ends
    expect(received, changed("emitting 'listening' on an http.Server that never listens no longer starts its headers timeout")).toMatch(
      /^HTTP\/1\.1 408 /,
    );
  });

  it("once stopped, holds nothing: its request handler can be collected (child process, --expose-gc)", async () => {
    expect(
      await releasedAfterClose("http-server"),
      changed("close() on an http.Server that never listened no longer stops the request-timeout interval 'listening' started"),
    ).toBe(true);
  }, 30_000);
});

describe("headerOctets: header fields arrive as latin1 strings, one character per octet", () => {
  // Two-, three- and four-byte UTF-8 characters, and a byte that is not UTF-8 at all.
  const sent = Buffer.concat([Buffer.from("é€✓𝄞 plain", "utf8"), Buffer.from([0xff])]);
  const decoding = changed("a header value no longer arrives as a latin1 string of the octets sent (headerOctets would miscount)");

  it("HTTP/1.1", async () => {
    let received: string | undefined;
    const server = http.createServer((req, res) => {
      received = req.headers["x-octets"] as string;
      res.end();
    });
    const port = await handingTo(server);
    const head = Buffer.concat([Buffer.from("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nx-octets: "), sent, Buffer.from("\r\n\r\n")]);
    expect(await sendAndWaitForClose(port, head)).toMatch(/^HTTP\/1\.1 200 /);
    expect(Buffer.from(received!, "latin1").equals(sent), decoding).toBe(true);
    expect(headerOctets(received!), decoding).toBe(sent.length);
  });

  it("HTTP/2", async () => {
    let received: string | undefined;
    const server = http2.createServer((req, res) => {
      received = req.headers["x-octets"] as string;
      res.end();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    cleanups.push(() => server.close());
    const session = http2.connect(`http://127.0.0.1:${(server.address() as net.AddressInfo).port}`);
    cleanups.push(() => session.destroy());
    // Node's client writes each character of a header string as one octet: this one sends `sent`.
    const stream = session.request({ ":path": "/", "x-octets": sent.toString("latin1") });
    const status = await new Promise<number>((resolve, reject) => {
      stream.once("response", (headers) => resolve(Number(headers[":status"])));
      stream.once("error", reject);
    });
    expect(status).toBe(200);
    expect(Buffer.from(received!, "latin1").equals(sent), decoding).toBe(true);
    expect(headerOctets(received!), decoding).toBe(sent.length);
  });
});

/** Resolves with true when one of `events` comes, or with false after REQUEST_DEADLINE_MS (a hang: the guard fails). */
function within(emitter: NodeJS.EventEmitter, events: string[]): Promise<boolean> {
  return new Promise((resolve) => {
    const deadline = setTimeout(() => resolve(false), REQUEST_DEADLINE_MS);
    for (const event of events) {
      emitter.once(event, () => {
        clearTimeout(deadline);
        resolve(true);
      });
    }
  });
}

/** An HTTP/2 client session to `port`, destroyed after the test. */
function h2Client(port: number, settings?: http2.Settings): http2.ClientHttp2Session {
  const session = http2.connect(`http://127.0.0.1:${port}`, { settings });
  session.on("error", () => {});
  cleanups.push(() => session.destroy());
  return session;
}

// response-limits.ts counts each write to a response until node calls the write's callback: what a
// client has not taken is what the gateway holds. Node does not document when that callback comes.
describe("write callbacks come once the bytes left for the peer", () => {
  it("HTTP/2: not before the peer's flow-control window lets them out", async () => {
    const server = http2.createServer();
    let calledBack = false;
    const sent = new Promise<void>((resolve) =>
      server.on("stream", (stream) => {
        stream.respond({ ":status": 200 });
        stream.write(Buffer.alloc(1024), () => {
          calledBack = true;
          resolve();
        });
      }),
    );
    const client = h2Client(await handingTo(server), { initialWindowSize: 0 }); // takes nothing yet
    const stream = client.request({ ":path": "/" });
    await once(stream, "response");
    // The PING's answer comes after the server handled what came before it: the write had its turn.
    await new Promise<void>((resolve, reject) => client.ping((err) => (err ? reject(err) : resolve())));
    expect(calledBack, changed("an HTTP/2 stream's write callback came before the peer's window let the bytes out")).toBe(false);
    client.settings({ initialWindowSize: 65_535 }); // the window opens
    await sent;
    stream.resume();
  });

  it("HTTP/1.1: ServerResponse.end(chunk) does not go through write() (its chunk is counted once, in end)", async () => {
    let writes = 0;
    const server = http.createServer((_req, res) => {
      const write = res.write;
      res.write = function (this: http.ServerResponse, ...args: unknown[]) {
        writes += 1;
        return (write as (...a: unknown[]) => boolean).apply(this, args);
      } as typeof res.write;
      res.end("body");
    });
    const reply = await sendAndWaitForClose(await handingTo(server), "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    expect(reply).toMatch(/^HTTP\/1\.1 200 [^]*body$/);
    expect(writes, changed("ServerResponse.end(chunk) now calls write(): response-limits.ts would count its chunk twice")).toBe(0);
  });
});

// listener/http2.ts closes an HTTP/2 connection once its socket's writable side has finished.
describe("a gracefully closed HTTP/2 session ends its socket", () => {
  it("once its last stream is done, even while the client keeps the connection open", async () => {
    const server = http2.createServer((_req, res) => res.end("ok"));
    let socket: net.Socket | undefined;
    const port = await handingTo(server, (s) => (socket = s));
    const opened = once(server, "session") as Promise<[http2.ServerHttp2Session]>;
    const stream = h2Client(port).request({ ":path": "/" }); // a client that never closes its side
    stream.resume();
    await once(stream, "end");
    const [session] = await opened;
    // 'close' would do as well (node cutting it itself); neither: the connection stays open.
    const ended = within(socket!, ["finish", "close"]);
    session.close();
    expect(await ended, changed("Http2Session.close() no longer ends its socket's writable side when no stream is open")).toBe(true);
  });
});
