// Bounded memory. Unit level: every per-request structure has a cap and evicts (replay store, rate
// limit buckets, public-auth buckets, session cache, journal, push queues). Volume: a child process
// with --expose-gc drives 200,000 distinct device sessions / request ids / client IPs through all of
// them twice (test/hardening/fixtures/memory-volume.ts): the first 200,000 may cost at most
// FIRST_PHASE_BOUND of heap, the next 200,000 at most PLATEAU_BOUND more (caps and expiry hold).
import { spawn } from "node:child_process";
import path from "node:path";
import { describe, expect, it } from "vitest";
import type { BackendRestClient } from "../../src/gateway/backend/rest-client.js";
import { SESSION_CACHE_MAX, SessionLookup } from "../../src/gateway/backend/session-lookup.js";
import { DEFAULT_JOURNAL_CAPACITY, Journal, journalBody, MAX_JOURNAL_BODY_BYTES } from "../../src/gateway/journal.js";
import { PushHub, type EventStream } from "../../src/gateway/push/push-hub.js";
import { BUCKETS_PER_KIND, RateLimiter } from "../../src/gateway/rate-limiter.js";
import { RATE_LIMIT_BUCKETS } from "../../src/gateway/stages/rate-limit.js";
import { ReplayStore } from "../../src/gateway/replay-store.js";
import { GatewayRejection } from "../../src/gateway/stages/stage.js";
import { releasedAfterClose, ROOT } from "./children.js";

const MiB = 1024 * 1024;
/** Heap for the first 200,000 distinct sessions through every structure (measured: ~130 MiB). */
const FIRST_PHASE_BOUND = 192 * MiB;
/** Heap growth allowed for the next 200,000: caps and expiry mean (nearly) none (measured: < 1 MiB). */
const PLATEAU_BOUND = 16 * MiB;

describe("replay store", () => {
  it("refuses a pair while reserved; once dropped, its timestamp is beyond the horizon", () => {
    const store = new ReplayStore(10);
    expect(store.reserve("ds", "r1", 0, 0, 2_000)).toBe("reserved");
    expect(store.reserve("ds", "r1", 0, 2_000, 2_000)).toBe("replayed");
    // 4 s later another call sweeps r1 (its timestamp is 2 windows old) and the horizon moves to it.
    expect(store.reserve("ds", "x", 4_000, 4_000, 2_000)).toBe("reserved");
    expect(store.horizonMs).toBe(0);
    // A window raised to a minute would make r1 fresh again: it stays refused.
    expect(store.reserve("ds", "r1", 0, 4_000, 120_000)).toBe("beyond_horizon");
    // The same request_id signed again with a current timestamp is a new request.
    expect(store.reserve("ds", "r1", 4_000, 4_000, 120_000)).toBe("reserved");
  });

  it("past its capacity drops the oldest timestamp first (not the oldest arrival), and the horizon follows", () => {
    const store = new ReplayStore(1_000);
    expect(store.reserve("ds", "ahead", 1_000_000, 0, 60_000)).toBe("reserved"); // a client clock far ahead, first in
    for (let i = 0; i < 5_000; i++) expect(store.reserve("ds", `r${i}`, i, 0, 60_000)).toBe("reserved");
    expect(store.size).toBe(1_000);
    expect(store.horizonMs).toBe(4_000);
    expect(store.reserve("ds", "ahead", 1_000_000, 0, 60_000)).toBe("replayed");
    expect(store.reserve("ds", "r4999", 4_999, 0, 60_000)).toBe("replayed"); // newest kept
    expect(store.reserve("ds", "r0", 0, 0, 60_000)).toBe("beyond_horizon"); // dropped, and refused for good
  });

  it("expired reservations are swept as new ones arrive: size follows rate × retention, not the total", () => {
    const store = new ReplayStore(1_000_000);
    for (let i = 0; i < 100_000; i++) store.reserve(`ds${i % 97}`, `r${i}`, i * 10, i * 10, 60_000); // 100/s for 1,000 s
    expect(store.size).toBeLessThan(100 * 62 + 100);
  });

  it("a reservation far in the future does not hold back the sweep of older ones", () => {
    const store = new ReplayStore(1_000_000);
    // Accepted under a clock offset of +1 day (timestamp a day ahead of the later clock), first in.
    store.reserve("ds", "tomorrow", 86_400_000, 0, 60_000);
    for (let i = 0; i < 100_000; i++) store.reserve(`ds${i % 97}`, `r${i}`, i * 10, i * 10, 60_000);
    expect(store.size).toBeLessThan(100 * 62 + 100);
    expect(store.reserve("ds", "tomorrow", 86_400_000, 1_000_000, 60_000)).toBe("replayed");
  });
});

describe("caps of the other structures", () => {
  it("rate-limit buckets: 50 000 per limiter by default (docs/SECURITY.md), least recently used dropped", () => {
    const limiter = new RateLimiter();
    const budget = { rate_per_s: 1, burst: 1 };
    for (let i = 0; i < 60_000; i++) limiter.take(0, [{ key: `ip:${i}`, budget }]);
    expect(limiter.size).toBe(50_000);
    // The newest key is still spent; the oldest was dropped, so it starts again with a full bucket.
    expect(limiter.take(0, [{ key: "ip:59999", budget }])).toBeGreaterThan(0);
    expect(limiter.take(0, [{ key: "ip:0", budget }])).toBe(0);
  });

  it("the rate-limit stage's limiter holds 200 000 buckets: 4 kinds of key × 50 000", () => {
    const limiter = new RateLimiter(RATE_LIMIT_BUCKETS);
    const budget = { rate_per_s: 1, burst: 1 };
    for (let i = 0; i < 4 * BUCKETS_PER_KIND + 10_000; i++) limiter.take(0, [{ key: `k:${i}`, budget }]);
    expect(limiter.size).toBe(200_000);
  });

  it("journal: the newest 5 000 entries (docs/SECURITY.md), also after the dropped ones are spliced out", () => {
    const journal = new Journal();
    for (let i = 0; i < 6_000; i++) {
      journal.append({ at_ms: i, rpc: "ExecuteCommand", protocol: "connect", device_session_id: "d", request_id: `r${i}`, message_type: "m", stages: [], code: "ok" });
    }
    expect(journal.size).toBe(5_000);
    expect(journal.after(0)[0]).toMatchObject({ seq: 1_001, request_id: "r1000" });
    expect(journal.after(5_999, 10).map((e) => e.request_id)).toEqual(["r5999"]);
  });

  it("journal bodies: each cut at 16 KiB, and all together within the budget (the oldest lose theirs first)", () => {
    const budget = 10 * MAX_JOURNAL_BODY_BYTES;
    const journal = new Journal(DEFAULT_JOURNAL_CAPACITY, budget);
    const body = journalBody(new Uint8Array(MAX_JOURNAL_BODY_BYTES * 2).fill(0x61));
    expect(body).toMatchObject({ bytes: MAX_JOURNAL_BODY_BYTES * 2, truncated: true });
    expect(body.text.length).toBe(MAX_JOURNAL_BODY_BYTES);
    for (let i = 0; i < 100; i++) {
      journal.append({ at_ms: i, rpc: "ExecuteCommand", protocol: "connect", device_session_id: "d", request_id: `r${i}`, message_type: "m", stages: [], code: "ok", request_body: body });
    }
    const entries = journal.after(0, 1_000);
    expect(entries).toHaveLength(100);
    const kept = entries.filter((e) => e.request_body);
    expect(kept.length * MAX_JOURNAL_BODY_BYTES).toBeLessThanOrEqual(budget);
    expect(kept.map((e) => e.request_id)).toEqual(entries.slice(-kept.length).map((e) => e.request_id));
    expect(entries[0]).toMatchObject({ request_id: "r0", bodies_dropped: true });
  });

  it("push queues: bounded in events and in bytes; past either the stream ends with slow_consumer", async () => {
    for (const [limits, event] of [
      [{ streamQueueEvents: 4 }, new Uint8Array(10)],
      [{ streamQueueBytes: 1_000 }, new Uint8Array(300)],
    ] as const) {
      const hub = new PushHub(limits);
      const stream = hub.register("u", "ds");
      for (let i = 0; i < 10; i++) hub.deliver("u", "", { eventType: "t", eventId: String(i), payloadBytes: event });
      expect(stream.queued).toBe(0); // cut off: the queue was dropped
      const err = await (async () => {
        for await (const _ of stream.events()) void _;
      })().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(GatewayRejection);
      expect((err as GatewayRejection).reason).toBe("slow_consumer");
    }
  });

  it("push hub, default limits (docs/SECURITY.md): 1 024 events or 4 MiB waiting per stream, 8 streams per session, 100 000 in all", async () => {
    const hub = new PushHub();
    const endOf = (stream: EventStream) =>
      (async () => {
        for await (const _ of stream.events()) void _;
      })().then(
        () => "ended",
        (e: unknown) => (e instanceof GatewayRejection ? e.reason : String(e)),
      );
    const event = (i: number, bytes: number) => ({ eventType: "t", eventId: String(i), payloadBytes: new Uint8Array(bytes) });

    const byCount = hub.register("u1", "count");
    for (let i = 0; i < 1_024; i++) hub.deliver("u1", "", event(i, 1));
    expect(byCount.queued).toBe(1_024); // at the cap: kept
    hub.deliver("u1", "", event(1_024, 1));
    expect(byCount.queued).toBe(0);
    expect(await endOf(byCount)).toBe("slow_consumer");

    const byBytes = hub.register("u2", "bytes");
    for (let i = 0; i < 4; i++) hub.deliver("u2", "", event(i, MiB));
    expect(byBytes.queued).toBe(4); // 4 MiB exactly: kept
    hub.deliver("u2", "", event(4, 1));
    expect(await endOf(byBytes)).toBe("slow_consumer");

    for (let i = 0; i < 8; i++) hub.register("u3", "eight");
    expect(() => hub.register("u3", "eight")).toThrow(expect.objectContaining({ reason: "too_many_streams" }));

    // 8 + 2 (the two ended above were never released) are held; fill to 100 000 with 8 per session.
    for (let i = 10; i < 100_000; i++) hub.register("u4", `s${i >> 3}`);
    expect(hub.size).toBe(100_000);
    expect(() => hub.register("u5", "one-more")).toThrow(expect.objectContaining({ reason: "too_many_streams" }));
  });

  it("push hub: registrations and releases leave no per-session bookkeeping behind", () => {
    const hub = new PushHub({ totalStreams: 3 });
    const streams = [hub.register("u1", "a"), hub.register("u1", "b"), hub.register("u2", "c")];
    expect(() => hub.register("u3", "d")).toThrow(/maximum of 3/);
    for (const s of streams) hub.unregister(s);
    for (const s of streams) hub.unregister(s); // twice is harmless
    expect(hub.size).toBe(0);
    expect(() => hub.register("u3", "d")).not.toThrow();
  });

  it("session cache: 100 000 sessions (docs/SECURITY.md), least recently used dropped", async () => {
    const asked: string[] = [];
    const backend: BackendRestClient = {
      baseUrl: () => "http://backend.invalid",
      request: async (_method, path) => {
        const id = decodeURIComponent(path.split("/").at(-1)!);
        asked.push(id);
        const session = { device_session_id: id, user_id: "u", client_public_key: "AAAA", status: "active", created_at_ms: 1 };
        return { status: 200, headers: {}, body: Buffer.from(JSON.stringify(session)) };
      },
    };
    const lookup = new SessionLookup(backend);
    lookup.setCacheEnabled(true);
    for (let i = 0; i <= 100_000; i++) await lookup.get(`ds${i}`);
    expect(lookup.cachedCount).toBe(100_000);
    asked.length = 0;
    await lookup.get("ds100000"); // the newest: from the cache
    await lookup.get("ds1"); // the oldest kept: from the cache
    expect(asked).toEqual([]);
    await lookup.get("ds0"); // dropped: the backend is asked again
    expect(asked).toEqual(["ds0"]);
  });
});

describe("volume: 2 × 200,000 distinct sessions through every structure (child process, --expose-gc)", () => {
  it(`the first 200,000 cost < ${FIRST_PHASE_BOUND / MiB} MiB of heap, the next 200,000 < ${PLATEAU_BOUND / MiB} MiB more`, async () => {
    const child = spawn(process.execPath, ["--expose-gc", "--import", "tsx", path.join(ROOT, "test/hardening/fixtures/memory-volume.ts"), "200000"], {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (err += d));
    const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
    expect(code, err).toBe(0);
    const result = JSON.parse(out.trim().split("\n").at(-1)!) as {
      before: number;
      afterFirst: number;
      afterSecond: number;
      sizes: Record<string, number>;
    };
    expect(result.afterFirst - result.before).toBeLessThan(FIRST_PHASE_BOUND);
    expect(result.afterSecond - result.afterFirst).toBeLessThan(PLATEAU_BOUND);
    expect(result.sizes.buckets).toBeLessThanOrEqual(RATE_LIMIT_BUCKETS);
    expect(result.sizes.publicBuckets).toBeLessThanOrEqual(BUCKETS_PER_KIND);
    expect(result.sizes.sessionCache).toBeLessThanOrEqual(SESSION_CACHE_MAX);
    expect(result.sizes.journal).toBeLessThanOrEqual(DEFAULT_JOURNAL_CAPACITY);
    expect(result.sizes.replay).toBeLessThan(130_000); // 1,000/s × 120 s TTL (+ sweep slack)
    expect(result.sizes.hub).toBe(0);
  }, 120_000);
});

describe("a closed listener holds nothing (child process, --expose-gc)", () => {
  it("after close(), its request handler (and the gateway it reaches) can be collected", async () => {
    // It was not: the inner HTTP/1.1 server's request-timeout interval ran on after close, holding it.
    expect(await releasedAfterClose("listener")).toBe(true);
  }, 30_000);
});
