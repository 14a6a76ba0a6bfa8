// The gateway's one token-bucket implementation (src/gateway/rate-limiter.ts), behind the RPC
// rate_limit stage and the public auth layer.
import { describe, expect, it } from "vitest";
import { RateLimiter, retryAfterSeconds } from "../../src/gateway/rate-limiter.js";

const slow = { burst: 2, rate_per_s: 0.5 };

describe("RateLimiter", () => {
  it("burst, refill, retry-after, bounded keys", () => {
    const limiter = new RateLimiter(3);
    expect(limiter.take(0, [{ key: "a", budget: slow }])).toBe(0);
    expect(limiter.take(0, [{ key: "a", budget: slow }])).toBe(0);
    expect(limiter.take(0, [{ key: "a", budget: slow }])).toBe(2_000);
    expect(limiter.take(1_000, [{ key: "a", budget: slow }])).toBe(1_000);
    expect(limiter.take(2_000, [{ key: "a", budget: slow }])).toBe(0);
    for (const key of ["b", "c", "d", "e"]) limiter.take(0, [{ key, budget: slow }]);
    expect(limiter.size).toBe(3);
    expect(retryAfterSeconds(1)).toBe(1);
    expect(retryAfterSeconds(1001)).toBe(2);
    expect(retryAfterSeconds(0)).toBe(1);
  });

  it("takes from every bucket or from none, and waits for the emptiest", () => {
    const limiter = new RateLimiter();
    const one = { burst: 1, rate_per_s: 1 };
    expect(limiter.take(0, [{ key: "ip", budget: slow }, { key: "user", budget: one }])).toBe(0);
    expect(limiter.take(0, [{ key: "ip", budget: slow }, { key: "user", budget: one }])).toBe(1_000);
    // The refusal took nothing from "ip": it still has its second token.
    expect(limiter.take(0, [{ key: "ip", budget: slow }])).toBe(0);
  });

  it("a clock that steps back refills nothing, then refills at the budget's rate from its new time", () => {
    const limiter = new RateLimiter();
    const take = (nowMs: number) => limiter.take(nowMs, [{ key: "a", budget: slow }]);
    const later = 3_600_000;
    expect([take(later), take(later)]).toEqual([0, 0]);
    expect(take(later)).toBe(2_000);
    expect(take(0)).toBe(2_000); // an hour back: nothing refilled
    expect(take(1_000)).toBe(1_000); // half a token in the new clock's first second
    expect(take(2_000)).toBe(0); // not refused until the clock is back at `later`
    expect(take(later + 3_600_000)).toBe(0); // far ahead: at most the burst
    expect(take(later + 3_600_000)).toBe(0);
    expect(take(later + 3_600_000)).toBe(2_000);
  });
});
