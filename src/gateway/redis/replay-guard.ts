// The replay store of cluster mode: the in-memory store's algorithm (replay-store.ts) as one Lua
// script, so every gateway of a cluster reserves against the same set and the same horizon, atomically
// and in one round trip per call.
//
// Keys (prefix `galaxy:replay:`):
// - `reservations`: a sorted set, member "<device_session_id>\n<request_id>", score timestamp_ms. The
//   oldest are swept a few per call once 2 windows behind the clock (as in memory), and the set carries
//   a TTL that runs out only when its newest reservation would have been swept anyway, so an idle
//   cluster leaves nothing behind. Capped at DEFAULT_REPLAY_CAPACITY like the in-memory store.
// - `horizon`: a hash {h, max}: the horizon, and the newest timestamp ever reserved. Two numbers, kept
//   without TTL: when the set is gone (expired) the horizon becomes `max`, as if every reservation had
//   been swept. When the hash itself is missing, Redis is new or lost its data (restarted without
//   persistence, FLUSHALL): the horizon starts at the gateway's clock, as a restarted in-memory gateway's
//   does, so a request captured before can never pass again. Each gateway sets it (if missing) whenever
//   its connection becomes ready (`start`), so only requests signed before that are refused; the reserve
//   script does the same for a loss it finds without a reconnect.
import type { Redis } from "ioredis";
import { DEFAULT_REPLAY_CAPACITY, type ReplayGuard, type Reservation } from "../replay-store.js";
import { StoreUnavailableError } from "../store-unavailable.js";

export const REPLAY_KEYS = { reservations: "galaxy:replay:reservations", horizon: "galaxy:replay:horizon" } as const;

/** Swept per call, as SWEEP_PER_CALL in memory: more than the one a call adds. */
const SWEEP_PER_CALL = 2;

/** Exported for the bench (bench/redis.ts measures Redis's capacity for it with redis-benchmark). */
export const RESERVE = `
local member, t, now, retain, cap, sweep = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local state = redis.call('HMGET', KEYS[2], 'h', 'max')
local h, maxT = tonumber(state[1]), tonumber(state[2])
if h == nil then
  h, maxT = now, now
elseif redis.call('EXISTS', KEYS[1]) == 0 and maxT > h then
  h = maxT
end
local old = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[7], 'WITHSCORES', 'LIMIT', 0, sweep)
for i = 1, #old, 2 do
  redis.call('ZREM', KEYS[1], old[i])
  local s = tonumber(old[i + 1])
  if s > h then h = s end
end
local verdict
if redis.call('ZSCORE', KEYS[1], member) then
  verdict = 'replayed'
elseif t <= h then
  verdict = 'beyond_horizon'
else
  redis.call('ZADD', KEYS[1], t, member)
  if t > maxT then maxT = t end
  if redis.call('ZCARD', KEYS[1]) > cap then
    local popped = redis.call('ZPOPMIN', KEYS[1])
    local s = tonumber(popped[2])
    if s > h then h = s end
  end
  verdict = 'reserved'
end
redis.call('HSET', KEYS[2], 'h', string.format('%d', h), 'max', string.format('%d', maxT))
if redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('PEXPIRE', KEYS[1], math.max(1, maxT + retain - now) + 1000)
end
return {verdict, string.format('%d', h)}
`;

const START = `
if redis.call('EXISTS', KEYS[1]) == 0 then
  redis.call('HSET', KEYS[1], 'h', ARGV[1], 'max', ARGV[1])
end
return 1
`;

const CLEAR = `
local state = redis.call('HMGET', KEYS[2], 'h', 'max')
local h, maxT = tonumber(state[1]), tonumber(state[2])
if h == nil then return 0 end
if maxT > h then h = maxT end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[2], 'h', string.format('%d', h), 'max', string.format('%d', maxT))
return 1
`;

interface ReplayCommands {
  galaxyReplayReserve(reservations: string, horizon: string, ...args: (string | number)[]): Promise<[Reservation, string]>;
  galaxyReplayClear(reservations: string, horizon: string): Promise<number>;
  galaxyReplayStart(horizon: string, nowMs: string): Promise<number>;
}

export class RedisReplayGuard implements ReplayGuard {
  private lastHorizon = -Infinity;
  private readonly redis: Redis & ReplayCommands;

  constructor(
    redis: Redis,
    private readonly capacity = DEFAULT_REPLAY_CAPACITY,
  ) {
    // defineCommand: EVALSHA, falling back to EVAL (and caching the script) when Redis does not have it
    // yet, e.g. after a restart.
    redis.defineCommand("galaxyReplayReserve", { numberOfKeys: 2, lua: RESERVE });
    redis.defineCommand("galaxyReplayClear", { numberOfKeys: 2, lua: CLEAR });
    redis.defineCommand("galaxyReplayStart", { numberOfKeys: 1, lua: START });
    this.redis = redis as Redis & ReplayCommands;
  }

  /**
   * Starts the horizon at `nowMs` if Redis has none (new, or it lost its data): call on every (re)connection
   * before serving, with the gateway clock.
   */
  async start(nowMs: number): Promise<void> {
    await this.redis.galaxyReplayStart(REPLAY_KEYS.horizon, String(Math.floor(nowMs)));
  }

  async reserve(deviceSessionId: string, requestId: string, timestampMs: number, nowMs: number, retainMs: number): Promise<Reservation> {
    const now = Math.floor(nowMs);
    const cutoff = now - Math.ceil(retainMs);
    let reply: [Reservation, string];
    try {
      reply = await this.redis.galaxyReplayReserve(
        REPLAY_KEYS.reservations,
        REPLAY_KEYS.horizon,
        `${deviceSessionId}\n${requestId}`,
        timestampMs,
        now,
        Math.ceil(retainMs),
        this.capacity,
        SWEEP_PER_CALL,
        cutoff,
      );
    } catch (err) {
      throw new StoreUnavailableError("replay", err);
    }
    this.lastHorizon = Number(reply[1]);
    return reply[0];
  }

  get horizonMs(): number {
    return this.lastHorizon;
  }

  async clear(): Promise<void> {
    try {
      await this.redis.galaxyReplayClear(REPLAY_KEYS.reservations, REPLAY_KEYS.horizon);
    } catch (err) {
      throw new StoreUnavailableError("replay", err);
    }
  }
}
