// Token buckets keyed by string (client IP, e-mail, challenge id), with bounded memory: an LRU of at most
// `maxKeys` buckets. An evicted key starts again with a full bucket, so the cap must be generous compared
// with the traffic one per-IP budget lets through.
import { LRUCache } from "lru-cache";
import type { RateLimitBudget } from "../../shared/protocol.js";

interface Bucket {
  tokens: number;
  at: number;
}

export type TakeResult = { ok: true } | { ok: false; retryAfterMs: number };

export const DEFAULT_MAX_BUCKETS = 50_000;

export class KeyedTokenBuckets {
  private readonly buckets: LRUCache<string, Bucket>;

  constructor(
    private readonly budget: () => RateLimitBudget,
    maxKeys = DEFAULT_MAX_BUCKETS,
  ) {
    this.buckets = new LRUCache<string, Bucket>({ max: maxKeys });
  }

  /** Takes one token for `key` at time `nowMs`; when empty, says how long until one is back. */
  take(key: string, nowMs: number): TakeResult {
    const { rate_per_s: rate, burst } = this.budget();
    let bucket = this.buckets.get(key);
    if (!bucket) {
      bucket = { tokens: burst, at: nowMs };
      this.buckets.set(key, bucket);
    } else {
      // A clock that moved backwards (gateway clock offset changed) refills nothing.
      const elapsedMs = Math.max(0, nowMs - bucket.at);
      bucket.tokens = Math.min(burst, bucket.tokens + (elapsedMs * rate) / 1000);
      bucket.at = Math.max(bucket.at, nowMs);
    }
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { ok: true };
    }
    return { ok: false, retryAfterMs: Math.ceil(((1 - bucket.tokens) * 1000) / rate) };
  }

  clear(): void {
    this.buckets.clear();
  }

  get size(): number {
    return this.buckets.size;
  }
}

/** Retry-After in whole seconds, at least 1. */
export function retryAfterSeconds(retryAfterMs: number): number {
  return Math.max(1, Math.ceil(retryAfterMs / 1000));
}
