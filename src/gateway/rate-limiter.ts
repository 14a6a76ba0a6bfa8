// The gateway's token buckets, one implementation for both places that limit rates: the RPC
// pipeline's rate_limit stage (per client IP, device session, user, user × message type) and the
// public auth layer of the plain-HTTP surface (per client IP, e-mail, challenge).
//
// Bounded in number: an LRU of at most `maxBuckets`. A dropped bucket comes back full, which only
// errs towards letting a quiet client through; the cap must therefore be generous compared with the
// keys one budget's traffic touches.
//
// The clock is the gateway clock (wall clock + the live `clock_offset_ms`), so it can step back (the
// offset lowered, NTP). A step back refills nothing, and the bucket's time moves back with the clock,
// so refilling resumes at the budget's rate from there. (The other choice, keeping the later time,
// refills nothing until the clock has caught up again: after the offset moved back an hour, a client
// that had emptied its bucket would be refused for that hour.) A step forward refills at most to
// `burst`, like a dropped bucket.
import { LRUCache } from "lru-cache";
import type { RateLimitBudget } from "../shared/protocol.js";

interface Bucket {
  tokens: number;
  updatedMs: number;
}

export interface BucketRequest {
  key: string;
  budget: RateLimitBudget;
}

/**
 * Buckets kept per kind of key. 50 000 client IPs (or sessions, e-mails …) active within one refill
 * time is far beyond what a local emulator sees; memory stays bounded whatever keys callers invent.
 */
export const BUCKETS_PER_KIND = 50_000;

/**
 * What the rate_limit stage and the public auth layer need of a set of buckets: the in-memory
 * RateLimiter below (the default), or Redis buckets shared by a cluster (redis/buckets.ts), which
 * answer asynchronously and reject with StoreUnavailableError when Redis cannot be reached.
 */
export interface BucketStore {
  /** As RateLimiter.take: 0 when allowed (a token taken from every bucket), else ms until allowed. */
  take(nowMs: number, requests: readonly BucketRequest[]): number | Promise<number>;
  clear(): void | Promise<void>;
}

export class RateLimiter implements BucketStore {
  private readonly buckets: LRUCache<string, Bucket>;

  /** `maxBuckets`: BUCKETS_PER_KIND × the kinds of key that share this limiter. */
  constructor(maxBuckets = BUCKETS_PER_KIND) {
    this.buckets = new LRUCache({ max: maxBuckets });
  }

  /**
   * Takes one token from every bucket, or from none: returns 0 when allowed, else how many ms until
   * every bucket has a token again (at least 1).
   */
  take(nowMs: number, requests: readonly BucketRequest[]): number {
    let waitMs = 0;
    const refilled: Bucket[] = [];
    for (const { key, budget } of requests) {
      let bucket = this.buckets.get(key);
      if (!bucket) {
        bucket = { tokens: budget.burst, updatedMs: nowMs };
        this.buckets.set(key, bucket);
      }
      const elapsed = Math.max(0, nowMs - bucket.updatedMs); // a step back refills nothing …
      bucket.tokens = Math.min(budget.burst, bucket.tokens + (elapsed * budget.rate_per_s) / 1000);
      bucket.updatedMs = nowMs; // … and refilling resumes from the clock's new time (see above)
      if (bucket.tokens < 1) waitMs = Math.max(waitMs, ((1 - bucket.tokens) * 1000) / budget.rate_per_s);
      refilled.push(bucket);
    }
    if (waitMs > 0) return Math.max(1, Math.ceil(waitMs));
    for (const bucket of refilled) bucket.tokens -= 1;
    return 0;
  }

  get size(): number {
    return this.buckets.size;
  }

  clear(): void {
    this.buckets.clear();
  }
}

/** Retry-After in whole seconds, at least 1. */
export function retryAfterSeconds(retryAfterMs: number): number {
  return Math.max(1, Math.ceil(retryAfterMs / 1000));
}
