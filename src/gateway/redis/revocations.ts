// Remembered revocations shared by a cluster: each instance keeps its own in-memory copy (what it
// learned itself is honoured even while Redis is down) and writes it to Redis, and an instance that did
// not see an invalidation (its push stream was reconnecting, or it joined later) finds it there.
//
// Keys: `galaxy:revoked:session:<id>` and `galaxy:revoked:user:<id>` (value: the time of the "all
// sessions" invalidation), each with REVOCATION_TTL_MS.
import type { Redis } from "ioredis";
import type { BackendSession } from "../../shared/protocol.js";
import { LocalRevocations, type RevocationMemory } from "../backend/revocations.js";
import { StoreUnavailableError } from "../store-unavailable.js";
import { deleteMatching } from "./buckets.js";

export const REVOCATION_KEY_PREFIX = "galaxy:revoked:";

/**
 * How long a revocation is remembered in Redis. The memory covers a backend that lags behind its own
 * push stream (it sent the invalidation but still answers "active" for a while); a day is far beyond
 * any such lag, and bounds Redis memory by a day's revocations.
 */
export const REVOCATION_TTL_MS = 24 * 3600_000;

export class RedisRevocations implements RevocationMemory {
  private readonly local = new LocalRevocations();

  constructor(
    private readonly redis: Redis,
    /** Failed writes (Redis down): the local copy still holds the revocation. */
    private readonly onError: (err: unknown) => void = () => {},
  ) {}

  rememberSession(deviceSessionId: string): void {
    this.local.rememberSession(deviceSessionId);
    this.redis.set(`${REVOCATION_KEY_PREFIX}session:${deviceSessionId}`, "1", "PX", REVOCATION_TTL_MS).catch(this.onError);
  }

  rememberUser(userId: string, atMs: number): void {
    this.local.rememberUser(userId, atMs);
    this.redis.set(`${REVOCATION_KEY_PREFIX}user:${userId}`, String(Math.floor(atMs)), "PX", REVOCATION_TTL_MS).catch(this.onError);
  }

  isRevoked(session: BackendSession): boolean | Promise<boolean> {
    if (this.local.isRevoked(session)) return true;
    return this.redis
      .mget(`${REVOCATION_KEY_PREFIX}session:${session.device_session_id}`, `${REVOCATION_KEY_PREFIX}user:${session.user_id}`)
      .then(
        ([revokedSession, userRevokedAt]) =>
          revokedSession !== null || (userRevokedAt !== null && session.created_at_ms <= Number(userRevokedAt)),
        (err: unknown) => {
          throw new StoreUnavailableError("session", err);
        },
      );
  }

  async clear(): Promise<void> {
    this.local.clear();
    try {
      await deleteMatching(this.redis, `${REVOCATION_KEY_PREFIX}*`);
    } catch (err) {
      throw new StoreUnavailableError("session", err);
    }
  }
}
