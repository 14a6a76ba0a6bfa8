// What the listener lets responses hold unsent, counted on the writes themselves (issue 10, review
// item 5). Before, the per-connection cap was checked only when a request arrived: 256 streams granting
// no window, all admitted before any had written, then each answered 80 KiB, left 7.8 MiB unsent on
// one connection (cap 4 MiB); and nothing bounded the sum over connections. The listener runs in this
// process with a handler that keeps every response, so what they hold is read off node's own
// `writableLength` of each stream still open.
import http2 from "node:http2";
import { afterEach, describe, expect, it } from "vitest";
import { MAX_RPC_MESSAGE_BYTES } from "../../src/gateway/gateway.js";
import { DEFAULT_LISTENER_LIMITS, listen, type Listener, type ListenerLimits } from "../../src/gateway/listener.js";
import { REQUEST_DEADLINE_MS } from "./support.js";

const MiB = 1024 * 1024;
const ANSWER = Buffer.alloc(MAX_RPC_MESSAGE_BYTES, "a"); // the largest RPC answer

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A listener whose handler keeps every response it is given (and answers through `onRequest`). */
async function keepingListener(limits: Partial<ListenerLimits>, onRequest: (res: http2.Http2ServerResponse, all: http2.Http2ServerResponse[]) => void) {
  const kept: http2.Http2ServerResponse[] = [];
  const listener: Listener = await listen(
    (_req, res) => {
      kept.push(res as http2.Http2ServerResponse);
      onRequest(res as http2.Http2ServerResponse, kept);
    },
    { host: "127.0.0.1", port: 0, limits: { ...DEFAULT_LISTENER_LIMITS, ...limits } },
  );
  cleanups.push(() => listener.close(0));
  return { url: `http://127.0.0.1:${listener.port}`, kept };
}

/** Bytes the kept responses hold unsent, over the streams not reset. */
function unsentOf(kept: readonly http2.Http2ServerResponse[]): number {
  return kept.reduce((sum, res) => sum + (res.stream.closed ? 0 : res.stream.writableLength), 0);
}

/** A client connection granting no flow-control window: the server can send headers, never a byte of body. */
function nonReader(url: string): http2.ClientHttp2Session {
  const session = http2.connect(url, { settings: { initialWindowSize: 0 } });
  session.on("error", () => {});
  cleanups.push(() => session.destroy());
  return session;
}

/** One GET: its status, or the code it was reset with before any answer. */
function get(session: http2.ClientHttp2Session): Promise<{ status?: number; rstCode?: number }> {
  return new Promise((resolve, reject) => {
    const stream = session.request({ ":path": "/" });
    stream.on("error", () => {});
    const deadline = setTimeout(() => reject(new Error(`no answer nor reset after ${REQUEST_DEADLINE_MS} ms`)), REQUEST_DEADLINE_MS);
    stream.once("response", (headers) => {
      clearTimeout(deadline);
      resolve({ status: Number(headers[":status"]) });
    });
    stream.once("close", () => {
      clearTimeout(deadline);
      resolve({ rstCode: stream.rstCode });
    });
  });
}

describe("per connection: maxQueuedResponseBytes holds for responses admitted before they write", () => {
  it("HTTP/2, window 0: 100 streams admitted, then each answered 80 KiB: the connection holds at most the cap plus one answer; the others are reset (ENHANCE_YOUR_CALM)", async () => {
    const STREAMS = 100; // node's client opens at most 100 at once before the server's SETTINGS
    let written!: (unsent: number) => void;
    const allWritten = new Promise<number>((resolve) => (written = resolve));
    const { url, kept } = await keepingListener({}, (_res, all) => {
      if (all.length < STREAMS) return;
      // Every stream is admitted (nothing was unsent yet); now all of them answer at once.
      for (const res of all) {
        res.writeHead(200);
        res.end(ANSWER);
      }
      written(unsentOf(all));
    });
    const session = nonReader(url);
    const requests = Array.from({ length: STREAMS }, () => get(session));
    const unsent = await allWritten;
    await Promise.all(requests);
    expect(STREAMS * ANSWER.length).toBeGreaterThan(DEFAULT_LISTENER_LIMITS.maxQueuedResponseBytes + ANSWER.length); // 7.8 MiB asked
    expect(unsent).toBeLessThanOrEqual(DEFAULT_LISTENER_LIMITS.maxQueuedResponseBytes + ANSWER.length);
    const reset = kept.filter((res) => res.stream.rstCode === http2.constants.NGHTTP2_ENHANCE_YOUR_CALM).length;
    expect(reset).toBe(STREAMS - Math.ceil(DEFAULT_LISTENER_LIMITS.maxQueuedResponseBytes / ANSWER.length));
  });
});

describe("per gateway: maxQueuedResponseBytesTotal", () => {
  const TOTAL = 1 * MiB;

  it("4 connections granting no window, 16 answers of 80 KiB each: the gateway holds at most the budget plus one answer; past it HTTP/2 streams are refused (REFUSED_STREAM) and HTTP/1.1 gets 503; freed when they go", async () => {
    const { url, kept } = await keepingListener({ maxQueuedResponseBytesTotal: TOTAL }, (res) => {
      res.writeHead(200);
      res.end(ANSWER);
    });
    const sessions = Array.from({ length: 4 }, () => nonReader(url));
    const outcomes = (await Promise.all(sessions.map((s) => Promise.all(Array.from({ length: 16 }, () => get(s)))))).flat();

    // 4 × 16 × 80 KiB = 5 MiB asked, each connection under its own 4 MiB cap.
    expect(unsentOf(kept)).toBeLessThanOrEqual(TOTAL + ANSWER.length);
    expect(outcomes.filter((o) => o.rstCode === http2.constants.NGHTTP2_REFUSED_STREAM).length).toBeGreaterThan(0);

    // A new client, either protocol, while the budget is held.
    expect(await get(nonReader(url))).toEqual({ rstCode: http2.constants.NGHTTP2_REFUSED_STREAM });
    const busy = await fetch(url, { signal: AbortSignal.timeout(REQUEST_DEADLINE_MS) });
    expect(busy.status).toBe(503);
    expect(busy.headers.get("retry-after")).toBe("1");
    expect((await busy.json()).error.code).toBe("rate_limited");

    // The non-readers leave: what they held is released, and a request is answered again.
    const open = kept.filter((res) => !res.stream.closed);
    const released = Promise.all(open.map((res) => new Promise((resolve) => res.once("close", resolve))));
    for (const s of sessions) s.destroy();
    await released;
    const reader = http2.connect(url);
    cleanups.push(() => reader.destroy());
    const stream = reader.request({ ":path": "/" });
    stream.resume();
    expect(await new Promise((resolve) => stream.once("response", (h) => resolve(h[":status"])))).toBe(200);
  });
});

describe("an idle HTTP/2 connection", () => {
  it("a call still waiting for its answer at the idle GOAWAY goes on; when that answer then stalls, the next idle period resets it and the connection closes", async () => {
    let received!: (res: http2.Http2ServerResponse) => void;
    const request = new Promise<http2.Http2ServerResponse>((resolve) => (received = resolve));
    // Stalls alone are never timed out here: only the idle timeout can close the connection.
    const { url } = await keepingListener({ idleTimeoutMs: 300, writeStallTimeoutMs: 600_000 }, (res) => received(res));
    const session = nonReader(url);
    const goaway = new Promise<void>((resolve) => session.once("goaway", () => resolve()));
    const closed = new Promise<void>((resolve, reject) => {
      const deadline = setTimeout(() => reject(new Error(`connection still open after ${REQUEST_DEADLINE_MS} ms`)), REQUEST_DEADLINE_MS);
      session.once("close", () => {
        clearTimeout(deadline);
        resolve();
      });
    });
    const stream = session.request({ ":path": "/" });
    stream.on("error", () => {});
    const res = await request;
    await goaway; // idle: the call had nothing to send yet, so it goes on
    expect(stream.closed).toBe(false);
    res.writeHead(200);
    res.end(ANSWER); // the client grants no window: stalled from now on
    await closed;
    expect(stream.rstCode).toBe(http2.constants.NGHTTP2_CANCEL);
  });
});
