// The state a gateway shares with the other instances of a cluster, behind one interface each: the
// replay store, the §4 token buckets, the public anti-abuse buckets and the remembered revocations, plus
// the bus of cluster-wide control mutations. In memory by default (one process: nothing to share, no
// bus); in Redis with `redis` (cluster mode, src/gateway/redis/).
import { LocalRevocations, type RevocationMemory } from "./backend/revocations.js";
import type { ControlBus } from "./cluster-control.js";
import type { PublicBuckets } from "./http/public-auth.js";
import { BUCKETS_PER_KIND, RateLimiter, type BucketStore } from "./rate-limiter.js";
import { RedisBuckets } from "./redis/buckets.js";
import { connectRedis, type RedisState } from "./redis/connection.js";
import { RedisControlBus } from "./redis/control-bus.js";
import { RedisJournalMirror } from "./redis/journal-mirror.js";
import { RedisReplayGuard } from "./redis/replay-guard.js";
import { RedisRevocations } from "./redis/revocations.js";
import { DEFAULT_REPLAY_CAPACITY, ReplayStore, type ReplayGuard } from "./replay-store.js";
import { RATE_LIMIT_BUCKETS } from "./stages/rate-limit.js";

export interface GatewayStores {
  replay: ReplayGuard;
  limiter: BucketStore;
  publicBuckets: PublicBuckets;
  revocations: RevocationMemory;
  /** Cluster mode only. */
  bus?: ControlBus;
  journalMirror?: RedisJournalMirror;
  redis?: { displayUrl: string; state(): RedisState };
  close(): Promise<void>;
}

/** `initialHorizonMs`: the in-memory replay store's horizon at start (see ReplayStore's constructor). */
export function localStores(initialHorizonMs: number): GatewayStores {
  return {
    replay: new ReplayStore(DEFAULT_REPLAY_CAPACITY, initialHorizonMs),
    limiter: new RateLimiter(RATE_LIMIT_BUCKETS),
    publicBuckets: { perIp: new RateLimiter(BUCKETS_PER_KIND), perEmail: new RateLimiter(BUCKETS_PER_KIND), perChallenge: new RateLimiter(BUCKETS_PER_KIND) },
    revocations: new LocalRevocations(),
    close: async () => {},
  };
}

/** The same in Redis at `url` (`now`: the gateway clock); rejects when Redis cannot be reached at startup. */
export async function redisStores(url: string, now: () => number, onError: (err: unknown) => void): Promise<GatewayStores> {
  const shared = await connectRedis(url, onError);
  const { client } = shared;
  const replay = new RedisReplayGuard(client);
  try {
    await replay.start(now());
  } catch (err) {
    await shared.close();
    throw err;
  }
  // After a reconnect Redis may be a restarted, empty one: requests signed before now must not pass.
  client.on("ready", () => void replay.start(now()).catch(onError));
  return {
    replay,
    limiter: new RedisBuckets(client, "rpc"),
    publicBuckets: {
      perIp: new RedisBuckets(client, "public-ip"),
      perEmail: new RedisBuckets(client, "public-email"),
      perChallenge: new RedisBuckets(client, "public-challenge"),
    },
    revocations: new RedisRevocations(client, onError),
    bus: new RedisControlBus(shared),
    journalMirror: new RedisJournalMirror(client),
    redis: shared,
    close: () => shared.close(),
  };
}

/** A Redis URL as --redis takes it: redis:// or rediss:// (TLS). Throws a message naming the rule. */
export function checkRedisUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`redis URL ${JSON.stringify(url)} is not a URL (e.g. redis://127.0.0.1:6379)`);
  }
  if (parsed.protocol !== "redis:" && parsed.protocol !== "rediss:") {
    throw new Error(`redis URL must start with redis:// or rediss://, got ${JSON.stringify(parsed.protocol)}`);
  }
  return url;
}
