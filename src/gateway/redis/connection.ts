// Cluster mode's one Redis connection per gateway (plus one for pub/sub, control-bus.ts), shared by the
// replay store, the token buckets and the revocation memory. Chosen so that a Redis outage can never
// turn into a pass (docs/SECURITY.md, "fail closed"):
// - no offline queue: while disconnected a command fails at once instead of waiting in a queue, so a
//   call answers UNAVAILABLE *_store_unavailable now rather than hanging until its deadline;
// - a command timeout: a Redis that accepts the connection but stops answering fails the same way;
// - reconnection with capped exponential backoff, forever: calls succeed again as soon as Redis is back;
// - auto-pipelining: the commands many concurrent calls issue in one turn of the event loop go out in
//   one write, which is where most of Redis mode's per-call cost goes otherwise (one syscall each).
import { Redis } from "ioredis";

/** What /healthz reports. */
export type RedisState = "connecting" | "ready" | "reconnecting" | "closed";

/**
 * A command that Redis has not answered within this fails (store unavailable). Redis answers these
 * scripts in well under a millisecond on loopback; a second is a Redis that is stuck, not a busy one.
 */
export const REDIS_COMMAND_TIMEOUT_MS = 1_000;
/** How long a gateway waits for Redis at startup before refusing to start. */
export const REDIS_STARTUP_TIMEOUT_MS = 5_000;
/** Reconnect backoff: 50 ms doubling to this cap, so a restarted Redis is found again within 2 s. */
export const REDIS_MAX_BACKOFF_MS = 2_000;

export interface SharedRedis {
  readonly client: Redis;
  /** The URL without its password (for GET /emulator/v1/config and /healthz). */
  readonly displayUrl: string;
  state(): RedisState;
  /** A second connection with the same options (a subscriber cannot send other commands). */
  duplicate(): Redis;
  close(): Promise<void>;
}

export function redisOptions() {
  return {
    enableOfflineQueue: false,
    commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
    connectTimeout: REDIS_COMMAND_TIMEOUT_MS,
    maxRetriesPerRequest: 0,
    enableAutoPipelining: true,
    retryStrategy: (attempt: number) => Math.min(50 * 2 ** Math.min(attempt, 10), REDIS_MAX_BACKOFF_MS),
  };
}

/** Connects to `url` (redis://[user:password@]host:port[/db]); rejects if Redis is not ready within REDIS_STARTUP_TIMEOUT_MS. */
export async function connectRedis(url: string, onError: (err: unknown) => void = () => {}): Promise<SharedRedis> {
  const displayUrl = redactRedisUrl(url);
  const client = new Redis(url, { ...redisOptions(), lazyConnect: true });
  let state: RedisState = "connecting";
  // ioredis reports every failed (re)connection attempt as an "error" event; without a listener Node
  // would print each one. Only the first of an outage is passed on; the state is what callers act on.
  let reported = false;
  client.on("error", (err: unknown) => {
    if (!reported) onError(err);
    reported = true;
  });
  client.on("ready", () => {
    state = "ready";
    reported = false;
  });
  client.on("reconnecting", () => (state = "reconnecting"));
  client.on("end", () => (state = "closed"));
  const timer = setTimeout(() => client.disconnect(), REDIS_STARTUP_TIMEOUT_MS);
  try {
    await client.connect();
  } catch (err) {
    client.disconnect();
    throw new Error(`cannot reach Redis at ${displayUrl}: ${err instanceof Error ? err.message : String(err)}`);
  } finally {
    clearTimeout(timer);
  }
  const subscribers = new Set<Redis>();
  return {
    client,
    displayUrl,
    state: () => state,
    duplicate() {
      const copy = client.duplicate({ enableOfflineQueue: true });
      copy.on("error", () => {}); // the main connection reports the outage
      subscribers.add(copy);
      return copy;
    },
    async close() {
      for (const copy of subscribers) copy.disconnect();
      await client.quit().catch(() => client.disconnect());
    },
  };
}

/** `redis://user:secret@host:6379/0` → `redis://user:***@host:6379/0`: a password never leaves. */
export function redactRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return "(unparsable URL)";
  }
}
