// The revocations a gateway learned from the backend's push stream (SessionInvalidation), remembered so
// that a revoked session fails even if the backend still says "active" (session-lookup.ts). In memory
// by default; in cluster mode also in Redis (redis/revocations.ts), so an instance honours what another
// one learned — e.g. while its own push stream was reconnecting.
import { LRUCache } from "lru-cache";
import type { BackendSession } from "../../shared/protocol.js";

export interface RevocationMemory {
  /** One device session was revoked. */
  rememberSession(deviceSessionId: string): void;
  /** Every session of `userId` created at or before `atMs` was revoked. */
  rememberUser(userId: string, atMs: number): void;
  /** The in-memory answer is immediate; a shared one may have to ask (and may reject: StoreUnavailableError). */
  isRevoked(session: BackendSession): boolean | Promise<boolean>;
  clear(): void | Promise<void>;
}

/** Revocations kept per kind: as many as the session cache holds (SESSION_CACHE_MAX). */
export const REMEMBERED_REVOCATIONS_MAX = 100_000;

export class LocalRevocations implements RevocationMemory {
  private readonly sessions = new LRUCache<string, true>({ max: REMEMBERED_REVOCATIONS_MAX });
  /** user_id → time of an "all sessions" invalidation: sessions created before it are revoked. */
  private readonly usersAt = new LRUCache<string, number>({ max: REMEMBERED_REVOCATIONS_MAX });

  rememberSession(deviceSessionId: string): void {
    this.sessions.set(deviceSessionId, true);
  }

  rememberUser(userId: string, atMs: number): void {
    this.usersAt.set(userId, Math.max(atMs, this.usersAt.get(userId) ?? -Infinity));
  }

  isRevoked(session: BackendSession): boolean {
    if (this.sessions.has(session.device_session_id)) return true;
    const at = this.usersAt.get(session.user_id);
    return at !== undefined && session.created_at_ms <= at;
  }

  clear(): void {
    this.sessions.clear();
    this.usersAt.clear();
  }
}
