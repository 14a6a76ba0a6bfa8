// Token buckets, bounded in number (least recently used buckets are dropped: a dropped bucket is a
// full one, which only errs towards letting a quiet client through).
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

export const DEFAULT_MAX_BUCKETS = 200_000;

export class RateLimiter {
  private readonly buckets: LRUCache<string, Bucket>;

  constructor(maxBuckets = DEFAULT_MAX_BUCKETS) {
    this.buckets = new LRUCache({ max: maxBuckets });
  }

  /**
   * Takes one token from every bucket, or from none: returns 0 when allowed, else how many ms until
   * every bucket has a token again.
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
      const elapsed = Math.max(0, nowMs - bucket.updatedMs);
      bucket.tokens = Math.min(budget.burst, bucket.tokens + (elapsed * budget.rate_per_s) / 1000);
      bucket.updatedMs = nowMs;
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
