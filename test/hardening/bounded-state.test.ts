// Bounded memory. Unit level: every per-request structure has a cap and evicts (replay store, rate
// limit buckets, public-auth buckets, session cache, journal, push queues). Volume: a child process
// with --expose-gc drives 200,000 distinct device sessions / request ids / client IPs through all of
// them twice (test/hardening/fixtures/memory-volume.ts): the first 200,000 may cost at most
// FIRST_PHASE_BOUND of heap, the next 200,000 at most PLATEAU_BOUND more (caps and expiry hold).
import { spawn } from "node:child_process";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { SESSION_CACHE_MAX } from "../../src/gateway/backend/session-lookup.js";
import { DEFAULT_JOURNAL_CAPACITY, Journal } from "../../src/gateway/journal.js";
import { DEFAULT_PUSH_LIMITS, PushHub } from "../../src/gateway/push/push-hub.js";
import { BUCKETS_PER_KIND, RateLimiter } from "../../src/gateway/rate-limiter.js";
import { RATE_LIMIT_BUCKETS } from "../../src/gateway/stages/rate-limit.js";
import { ReplayStore } from "../../src/gateway/replay-store.js";
import { GatewayRejection } from "../../src/gateway/stages/stage.js";
import { ROOT } from "./children.js";

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
  it("rate-limit buckets: at most the cap, least recently used dropped (RPC stage: 4 kinds × BUCKETS_PER_KIND; public auth: BUCKETS_PER_KIND per kind)", () => {
    const limiter = new RateLimiter(1_000);
    const budget = { rate_per_s: 1, burst: 2 };
    for (let i = 0; i < 10_000; i++) limiter.take(0, [{ key: `ip:${i}`, budget }]);
    expect(limiter.size).toBe(1_000);
    expect(BUCKETS_PER_KIND).toBe(50_000);
    expect(RATE_LIMIT_BUCKETS).toBe(200_000);
  });

  it("journal: the newest DEFAULT_JOURNAL_CAPACITY entries", () => {
    const journal = new Journal(100);
    for (let i = 0; i < 1_000; i++) {
      journal.append({ at_ms: i, rpc: "ExecuteCommand", protocol: "connect", device_session_id: "d", request_id: `r${i}`, message_type: "m", stages: [], code: "ok" });
    }
    expect(journal.size).toBe(100);
    expect(journal.after(0)[0]?.request_id).toBe("r900");
    expect(DEFAULT_JOURNAL_CAPACITY).toBe(5_000);
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
    expect(DEFAULT_PUSH_LIMITS).toMatchObject({ streamQueueEvents: 1_024, streamQueueBytes: 4 * MiB, streamsPerSession: 8 });
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

  it("session cache: SESSION_CACHE_MAX entries", () => {
    expect(SESSION_CACHE_MAX).toBe(100_000);
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
