// A fault's jitter_ms (issue 12): each hit draws its latency from latency_ms ± jitter_ms with the
// fault's seeded generator, so a seed gives the same latencies again. Checked on the draws the fault
// set hands the fault stage (FaultSet.hit), not on a clock: the stage then waits at least that long
// (src/node/timeout-at-least.ts, tested with the execute faults in faults.test.ts).
import { describe, expect, it } from "vitest";
import { FaultSet } from "../../src/gateway/faults/fault-set.js";

const SUBJECT = { messageType: "user.profile.get", userId: "u_1", deviceSessionId: "ds_1" };

function latencies(seed: number, hits: number): number[] {
  const faults = new FaultSet();
  faults.add({ target: "execute", latency_ms: 300, jitter_ms: 200, seed });
  return Array.from({ length: hits }, () => faults.hit("execute", SUBJECT)!.latencyMs);
}

describe("fault jitter", () => {
  it("draws every latency within latency_ms ± jitter_ms, whole milliseconds, spread over the range", () => {
    const drawn = latencies(9, 400);
    for (const ms of drawn) {
      expect(Number.isInteger(ms)).toBe(true);
      expect(ms).toBeGreaterThanOrEqual(100);
      expect(ms).toBeLessThanOrEqual(500);
    }
    // 400 uniform draws over 401 values: both ends of the range are reached within 40 ms.
    expect(Math.min(...drawn)).toBeLessThan(140);
    expect(Math.max(...drawn)).toBeGreaterThan(460);
  });

  it("gives the same latencies for the same seed, other ones for another seed", () => {
    expect(latencies(9, 50)).toEqual(latencies(9, 50));
    expect(latencies(10, 50)).not.toEqual(latencies(9, 50));
  });

  it("never draws below zero when the jitter is larger than the latency", () => {
    const faults = new FaultSet();
    faults.add({ target: "execute", latency_ms: 10, jitter_ms: 1_000, seed: 3 });
    const drawn = Array.from({ length: 200 }, () => faults.hit("execute", SUBJECT)!.latencyMs);
    expect(Math.min(...drawn)).toBe(0);
    expect(Math.max(...drawn)).toBeGreaterThan(500);
  });
});
