// The listener's limits on real sockets, with short settings: senders that stop or dribble are cut by
// the sniff / headers / request / idle timeouts (HTTP/1.1 and HTTP/2), oversized header lists get 431,
// streams per h2 connection and connections per listener are capped. The server must close each
// hostile connection itself: if the test's own deadline has to, that is a hang and the test fails.
import http2 from "node:http2";
import net from "node:net";
import { toBinary } from "@bufbuild/protobuf";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningEmulator } from "../../src/emulator/start.js";
import { SubscribeEventsRequestSchema } from "../../src/shared/gen/galaxy/gateway/v1/gateway_pb.js";
import { subscribeEventsRequest } from "../../src/shared/sdk.js";
import { edgeClient, signIn, startTestEmulator, type SignedInDevice } from "../support/emulator.js";
import { h1Request, h2Request, portOf, REQUEST_DEADLINE_MS } from "./support.js";

const LIMITS = {
  sniffTimeoutMs: 200,
  headersTimeoutMs: 200,
  requestTimeoutMs: 400,
  idleTimeoutMs: 600,
  maxConcurrentStreams: 4,
};

let emulator: RunningEmulator;
let port: number;

beforeAll(async () => {
  emulator = await startTestEmulator({ limits: LIMITS });
  port = portOf(emulator.url);
});
afterAll(() => emulator.close());

interface Closed {
  /** Everything the server sent before it closed the connection. */
  received: string;
}

/**
 * Connects, writes `bytes` (then, with `dribble`, one more byte per tick of the sender), and resolves
 * when the server closes the connection. Rejects if it is still open after REQUEST_DEADLINE_MS.
 */
function sendAndStall(bytes: Buffer | string, dribble?: string): Promise<Closed> {
  return new Promise<Closed>((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1");
    const chunks: Buffer[] = [];
    let pacer: NodeJS.Timeout | undefined;
    const deadline = setTimeout(() => {
      clearInterval(pacer);
      socket.destroy();
      reject(new Error(`connection still open after ${REQUEST_DEADLINE_MS} ms (sent ${JSON.stringify(String(bytes).slice(0, 80))})`));
    }, REQUEST_DEADLINE_MS);
    socket.on("data", (c: Buffer) => chunks.push(c));
    socket.on("error", () => {}); // a reset is a close too
    socket.on("close", () => {
      clearTimeout(deadline);
      clearInterval(pacer);
      resolve({ received: Buffer.concat(chunks).toString("latin1") });
    });
    socket.write(bytes);
    if (dribble) {
      let i = 0;
      // The sender's pace (never the test's synchronisation): one byte per 20 ms, never finishing.
      pacer = setInterval(() => {
        if (!socket.destroyed) socket.write(dribble[i++ % dribble.length]!);
      }, 20);
    }
  });
}

const BODY = JSON.stringify({ email: "slow@example.com" });
const REQUESTS: Record<string, string> = {
  "GET /healthz": "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
  "public auth POST": `POST /api/v1/public/auth/send-email-code HTTP/1.1\r\nHost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: ${BODY.length}\r\n\r\n${BODY}`,
  "RPC POST": "POST /galaxy.gateway.v1.EdgeGateway/ExecuteCommand HTTP/1.1\r\nHost: 127.0.0.1\r\ncontent-type: application/proto\r\ncontent-length: 40\r\n\r\n" + "\n".repeat(40),
  "chunked control POST": "POST /emulator/v1/push HTTP/1.1\r\nHost: 127.0.0.1\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n5\r\n{\"a\":\r\n",
  "h2 preface": "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
};

describe("senders that stop", () => {
  it("a request cut anywhere is closed by the listener (408 or nothing), never left open", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.tuple(fc.constantFrom(...Object.keys(REQUESTS)), fc.double({ min: 0, max: 1, noNaN: true })),
          { minLength: 6, maxLength: 12 },
        ),
        async (cuts) => {
          const results = await Promise.all(
            cuts.map(async ([name, fraction]) => {
              const full = REQUESTS[name]!;
              // Everything but the last byte at most: the request is never complete.
              const prefix = full.slice(0, Math.max(1, Math.floor(fraction * (full.length - 1))));
              return { name, prefix, ...(await sendAndStall(prefix)) };
            }),
          );
          for (const { name, prefix, received } of results) {
            expect(received === "" || /^HTTP\/1\.1 (408|400) /.test(received), `${name} cut to ${JSON.stringify(prefix)}: ${received}`).toBe(true);
          }
        },
      ),
      { numRuns: 4 },
    );
  });

  it("dribbling a request head byte by byte does not extend the headers timeout: 408", async () => {
    const closed = await sendAndStall("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n", "X-Slow: a\r\n");
    expect(closed.received).toMatch(/^HTTP\/1\.1 408 /);
  });

  it("dribbling a body byte by byte does not extend the request timeout: 408", async () => {
    const closed = await sendAndStall(
      "POST /api/v1/public/auth/send-email-code HTTP/1.1\r\nHost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: 4000\r\n\r\n",
      " ",
    );
    expect(closed.received).toMatch(/^HTTP\/1\.1 408 /);
  });

  it("dribbling the h2 preface does not extend the sniff timeout", async () => {
    const closed = await sendAndStall("P", "RI * HTTP/2.0\r\n\r\nSM\r\n\r\n".slice(0, 10));
    expect(closed.received).toBe("");
  });

  it("an idle keep-alive HTTP/1.1 connection is closed after its response", async () => {
    const closed = await sendAndStall(REQUESTS["GET /healthz"]!);
    expect(closed.received).toMatch(/^HTTP\/1\.1 200 /);
  });

  it("HTTP/2: an idle session gets GOAWAY and is closed", async () => {
    const session = http2.connect(emulator.url);
    session.on("error", () => {});
    const goaway = new Promise<void>((resolve) => session.once("goaway", () => resolve()));
    await new Promise<void>((resolve, reject) => {
      const deadline = setTimeout(() => reject(new Error("idle h2 session still open")), REQUEST_DEADLINE_MS);
      session.once("close", () => {
        clearTimeout(deadline);
        resolve();
      });
    });
    await goaway;
  });

  it("HTTP/2: a stream whose body never completes is reset (CANCEL); the session stays usable", async () => {
    const session = http2.connect(emulator.url);
    session.on("error", () => {});
    try {
      const stalled = session.request({
        ":method": "POST",
        ":path": "/galaxy.gateway.v1.EdgeGateway/ExecuteCommand",
        "content-type": "application/grpc",
      });
      stalled.on("error", () => {});
      stalled.resume();
      stalled.write(Buffer.from([0, 0, 0, 0, 100, 1, 2, 3])); // promises 100 bytes, sends 3, never ends
      const rstCode = await new Promise<number>((resolve, reject) => {
        const deadline = setTimeout(() => reject(new Error("stalled h2 stream still open")), REQUEST_DEADLINE_MS);
        stalled.once("close", () => {
          clearTimeout(deadline);
          resolve(stalled.rstCode!);
        });
      });
      expect(rstCode).toBe(http2.constants.NGHTTP2_CANCEL);
      // Other streams of the same session are unaffected.
      const health = session.request({ ":path": "/healthz" });
      health.resume();
      const [headers] = (await new Promise((resolve) => health.once("response", (h) => resolve([h])))) as [http2.IncomingHttpHeaders];
      expect(headers[":status"]).toBe(200);
    } finally {
      session.destroy();
    }
  });
});

describe("sizes and counts", () => {
  it("a header list over 16 KiB: 431 on HTTP/1.1 and on HTTP/2", async () => {
    const headers = { "x-big": "a".repeat(17 * 1024) };
    expect((await h1Request(port, { method: "GET", path: "/healthz", headers })).status).toBe(431);
    expect((await h2Request(port, { method: "GET", path: "/healthz", headers })).status).toBe(431);
    expect((await h2Request(port, { method: "GET", path: "/healthz", headers: { "x-ok": "a".repeat(8 * 1024) } })).status).toBe(200);
  });

  it("header sizes are bytes, not characters: 6,000 three-byte characters (18,000 bytes) get 431, 5,000 (15,000 bytes) pass", async () => {
    // Node's clients send each character of a header string as one byte (latin1): these strings carry
    // the UTF-8 bytes of the values, which is what a client sending "€" in a header puts on the wire.
    const utf8 = (text: string) => Buffer.from(text, "utf8").toString("latin1");
    const over = { "x-big": utf8("€".repeat(6_000)) };
    const under = { "x-ok": utf8("€".repeat(5_000)) };
    expect((await h1Request(port, { method: "GET", path: "/healthz", headers: over })).status).toBe(431);
    expect((await h2Request(port, { method: "GET", path: "/healthz", headers: over })).status).toBe(431);
    expect((await h1Request(port, { method: "GET", path: "/healthz", headers: under })).status).toBe(200);
    expect((await h2Request(port, { method: "GET", path: "/healthz", headers: under })).status).toBe(200);
  });

  it("HTTP/2 advertises its stream cap; a stream past it waits for a free slot instead of failing", async () => {
    const device: SignedInDevice = await signIn(emulator.url);
    const session = http2.connect(emulator.url);
    session.on("error", () => {});
    try {
      await new Promise<void>((resolve) => session.once("remoteSettings", () => resolve()));
      expect(session.remoteSettings.maxConcurrentStreams).toBe(LIMITS.maxConcurrentStreams);
      // Fill every slot of this session with a live SubscribeEvents stream (Connect streaming, raw).
      const message = toBinary(SubscribeEventsRequestSchema, subscribeEventsRequest(device));
      const head = Buffer.alloc(5);
      head.writeUInt32BE(message.length, 1);
      const streams = await Promise.all(
        Array.from({ length: LIMITS.maxConcurrentStreams }, async () => {
          const stream = session.request({
            ":method": "POST",
            ":path": "/galaxy.gateway.v1.EdgeGateway/SubscribeEvents",
            "content-type": "application/connect+proto",
          });
          stream.on("error", () => {});
          stream.end(Buffer.concat([head, message]));
          await new Promise<void>((resolve) => stream.once("data", () => resolve())); // server_time arrived
          return stream;
        }),
      );
      const queued = session.request({ ":path": "/healthz" });
      queued.resume();
      const answered = new Promise<number>((resolve) => queued.once("response", (h) => resolve(Number(h[":status"]))));
      streams[0]!.close(http2.constants.NGHTTP2_CANCEL); // frees a slot
      expect(await answered).toBe(200);
      for (const s of streams) s.close(http2.constants.NGHTTP2_CANCEL);
    } finally {
      session.destroy();
    }
  });

  it("connections past maxConnections are closed at once; a freed slot is usable again", async () => {
    const MAX = 4;
    const small = await startTestEmulator({ limits: { maxConnections: MAX } });
    const sockets: net.Socket[] = [];
    /** A new connection that sends a request: "served" if answered, "refused" if closed unanswered. */
    const attempt = (): Promise<"served" | "refused"> =>
      new Promise((resolve, reject) => {
        const s = net.connect(portOf(small.url), "127.0.0.1");
        sockets.push(s);
        const deadline = setTimeout(() => reject(new Error("connection neither served nor refused")), REQUEST_DEADLINE_MS);
        s.on("error", () => {});
        s.once("data", () => {
          clearTimeout(deadline);
          resolve("served");
        });
        s.once("close", () => {
          clearTimeout(deadline);
          resolve("refused");
        });
        s.write("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
      });
    try {
      let served = 0;
      while ((await attempt()) === "served") served++;
      // The harness's own keep-alive connection may hold one slot.
      expect(served).toBeGreaterThanOrEqual(MAX - 1);
      expect(served).toBeLessThanOrEqual(MAX);
      sockets.find((s) => !s.destroyed)!.destroy();
      // The server learns of the close asynchronously: retry until a new connection is served.
      let outcome: string;
      do outcome = await attempt();
      while (outcome === "refused");
      expect(outcome).toBe("served");
    } finally {
      for (const s of sockets) s.destroy();
      await small.close();
    }
  });

  it("the slow-sender limits leave normal traffic alone", async () => {
    const device = await signIn(emulator.url);
    const sub = edgeClient(emulator.url, "connect h1").subscribeEvents(subscribeEventsRequest(device), {
      signal: AbortSignal.timeout(REQUEST_DEADLINE_MS),
    });
    const it = sub[Symbol.asyncIterator]();
    expect((await it.next()).value?.envelope?.eventType).toBe("gateway.server_time");
    await it.return?.();
  });
});
