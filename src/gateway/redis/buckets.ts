// Token buckets shared by a cluster: RateLimiter's rules (rate-limiter.ts) as one Lua script that
// refills and takes from every bucket of a call at once — atomically (all or none, as in memory) and in
// one round trip, however many buckets the call has (four for an RPC).
//
// Each bucket is a hash {t: tokens, u: updated at (gateway clock)} under `galaxy:rl:<kind>:<key>`,
// whose TTL runs out when it would be full again: a missing bucket *is* a full one, so Redis holds only
// the buckets of recent traffic and memory stays bounded whatever keys callers invent.
import type { Redis } from "ioredis";
import type { BucketRequest, BucketStore } from "../rate-limiter.js";
import { StoreUnavailableError } from "../store-unavailable.js";

export const BUCKET_KEY_PREFIX = "galaxy:rl:";

/**
 * The longest a bucket is kept: a budget so slow that it refills over more than a day is forgotten
 * earlier and comes back full — which only errs towards letting a very patient client through, as the
 * in-memory LRU's drops do.
 */
export const MAX_BUCKET_TTL_MS = 24 * 3600_000;

/** Exported for the bench (bench/redis.ts). */
export const TAKE = `
local now, maxTtl = tonumber(ARGV[1]), tonumber(ARGV[2])
local wait, tokens = 0, {}
for i, key in ipairs(KEYS) do
  local rate, burst = tonumber(ARGV[1 + 2 * i]), tonumber(ARGV[2 + 2 * i])
  local b = redis.call('HMGET', key, 't', 'u')
  local t, u = tonumber(b[1]), tonumber(b[2])
  if t == nil or u == nil then t, u = burst, now end
  local elapsed = now - u
  if elapsed < 0 then elapsed = 0 end
  t = math.min(burst, t + elapsed * rate / 1000)
  tokens[i] = t
  if t < 1 then wait = math.max(wait, (1 - t) * 1000 / rate) end
end
local take = 1
if wait > 0 then take = 0 end
for i, key in ipairs(KEYS) do
  local rate, burst = tonumber(ARGV[1 + 2 * i]), tonumber(ARGV[2 + 2 * i])
  local t = tokens[i] - take
  redis.call('HSET', key, 't', string.format('%.17g', t), 'u', string.format('%d', now))
  redis.call('PEXPIRE', key, math.min(maxTtl, math.ceil((burst - t) * 1000 / rate) + 1000))
end
if wait > 0 then return math.max(1, math.ceil(wait)) end
return 0
`;

interface BucketCommands {
  galaxyTakeTokens(keyCount: number, ...keysThenArgs: (string | number)[]): Promise<number>;
}

export class RedisBuckets implements BucketStore {
  private readonly redis: Redis & BucketCommands;

  /** `kind` names this set of buckets in its keys (`rpc`, `public-ip` …) so that sets never share a key. */
  constructor(
    redis: Redis,
    private readonly kind: string,
  ) {
    // No fixed key count: a call passes as many buckets as it has.
    redis.defineCommand("galaxyTakeTokens", { lua: TAKE });
    this.redis = redis as Redis & BucketCommands;
  }

  async take(nowMs: number, requests: readonly BucketRequest[]): Promise<number> {
    const keys: string[] = [];
    const args: number[] = [Math.floor(nowMs), MAX_BUCKET_TTL_MS];
    for (const { key, budget } of requests) {
      keys.push(`${BUCKET_KEY_PREFIX}${this.kind}:${key}`);
      args.push(budget.rate_per_s, budget.burst);
    }
    try {
      return await this.redis.galaxyTakeTokens(keys.length, ...keys, ...args);
    } catch (err) {
      throw new StoreUnavailableError("rate_limit", err);
    }
  }

  /** Deletes this set's buckets (control-plane reset), in batches of a SCAN so Redis is never blocked long. */
  async clear(): Promise<void> {
    try {
      await deleteMatching(this.redis, `${BUCKET_KEY_PREFIX}${this.kind}:*`);
    } catch (err) {
      throw new StoreUnavailableError("rate_limit", err);
    }
  }
}

/** UNLINKs every key matching `pattern`, a SCAN batch at a time (one pipeline per batch). */
export async function deleteMatching(redis: Redis, pattern: string): Promise<void> {
  let cursor = "0";
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", pattern, "COUNT", 1000);
    cursor = next;
    if (keys.length > 0) await redis.unlink(...keys);
  } while (cursor !== "0");
}
