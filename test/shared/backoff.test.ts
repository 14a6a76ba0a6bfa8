// The one reconnect-delay rule (src/shared/backoff.ts), with the policies of its two loops: the
// console's event streams (STREAM_BACKOFF) and the gateway's push dispatcher (PUSH_RECONNECT_BACKOFF).
import { describe, expect, it } from "vitest";
import { PUSH_RECONNECT_BACKOFF } from "../../src/gateway/push/dispatcher.js";
import { STREAM_BACKOFF } from "../../src/renderer/services/stream-manager.js";
import { backoffDelay } from "../../src/shared/backoff.js";

const noJitter = { random: () => 0.5 };

describe("backoffDelay", () => {
  it("console streams: double from 0.5 s up to the 10 s cap, within ±20 % jitter", () => {
    const exact = [1, 2, 3, 4, 5, 6, 7, 8].map((n) => backoffDelay(STREAM_BACKOFF, n, noJitter));
    expect(exact).toEqual([500, 1000, 2000, 4000, 8000, 10_000, 10_000, 10_000]);
    expect(backoffDelay(STREAM_BACKOFF, 1, { random: () => 0 })).toBe(400);
    expect(backoffDelay(STREAM_BACKOFF, 1, { random: () => 1 })).toBe(600);
    expect(backoffDelay(STREAM_BACKOFF, 9, { random: () => 1 })).toBe(10_000);
  });

  it("push dispatcher: doubles from 100 ms up to the 5 s cap, within ±20 % jitter", () => {
    const exact = [1, 2, 3, 4, 5, 6, 7, 8].map((n) => backoffDelay(PUSH_RECONNECT_BACKOFF, n, noJitter));
    expect(exact).toEqual([100, 200, 400, 800, 1600, 3200, 5000, 5000]);
    expect(backoffDelay(PUSH_RECONNECT_BACKOFF, 1, { random: () => 0 })).toBe(80);
    expect(backoffDelay(PUSH_RECONNECT_BACKOFF, 30, { random: () => 1 })).toBe(5000);
  });

  it("never undercuts retry_after_ms", () => {
    expect(backoffDelay(STREAM_BACKOFF, 1, { retryAfterMs: 7_000, ...noJitter })).toBe(7_000);
    expect(backoffDelay(STREAM_BACKOFF, 4, { retryAfterMs: 1_000, ...noJitter })).toBe(4_000);
  });
});
