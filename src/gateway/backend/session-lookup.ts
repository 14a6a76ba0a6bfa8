// Session lookups (§4 session stage) against the backend's internal API, with a cache that is only
// used while the backend's push stream is connected: invalidations arrive on that stream and evict
// at once; while it is down every call asks the backend. Revocations the gateway learned from the
// push stream are also remembered (revocations.ts), so a revoked session fails even if a backend still
// says active.
import { LRUCache } from "lru-cache";
import { fromBase64Url } from "../../shared/bytes.js";
import type { BackendSession } from "../../shared/protocol.js";
import { BackendUnavailableError, type BackendRequestInit, type BackendRestClient } from "./rest-client.js";
import { LocalRevocations, type RevocationMemory } from "./revocations.js";

export interface FoundSession {
  session: BackendSession;
  publicKey: Uint8Array;
}

export const SESSION_CACHE_MAX = 100_000;
export const SESSION_CACHE_TTL_MS = 60_000;

export class SessionLookup {
  private readonly cache = new LRUCache<string, FoundSession>({ max: SESSION_CACHE_MAX, ttl: SESSION_CACHE_TTL_MS });
  private cacheEnabled = false;
  /** Bumped by every invalidation so a lookup in flight does not cache a pre-invalidation answer. */
  private generation = 0;

  constructor(
    private readonly backend: BackendRestClient,
    private readonly revocations: RevocationMemory = new LocalRevocations(),
  ) {}

  /** The session as cached (active, and no invalidation since), synchronously; undefined means "ask get()". */
  cached(deviceSessionId: string): FoundSession | undefined {
    return this.cacheEnabled ? this.cache.get(deviceSessionId) : undefined;
  }

  /** undefined when the backend does not know the session; `init` bounds the lookup (the caller's deadline). */
  async get(deviceSessionId: string, init: Pick<BackendRequestInit, "signal" | "deadlineMs" | "forCall"> = {}): Promise<FoundSession | undefined> {
    const cached = this.cached(deviceSessionId);
    if (cached) return cached;
    const generation = this.generation;
    const reply = await this.backend.request("GET", `/api/v1/internal/sessions/${encodeURIComponent(deviceSessionId)}`, init);
    if (reply.status === 404) return undefined;
    if (reply.status !== 200) throw new BackendUnavailableError(`session lookup answered ${reply.status}`);
    const found = parseSession(reply.body);
    if (found.session.status === "active") {
      // Synchronous in memory; a shared memory answers asynchronously (and may reject: store unavailable).
      const known = this.revocations.isRevoked(found.session);
      if (typeof known === "boolean" ? known : await known) found.session = { ...found.session, status: "revoked" };
    }
    if (this.cacheEnabled && generation === this.generation && found.session.status === "active") {
      this.cache.set(deviceSessionId, found);
    }
    return found;
  }

  /** Applies a SessionInvalidation from the push stream: effective before the next lookup. */
  invalidate(userId: string, deviceSessionId: string, atMs: number): void {
    this.generation++;
    if (deviceSessionId) {
      this.revocations.rememberSession(deviceSessionId);
      this.cache.delete(deviceSessionId);
      return;
    }
    this.revocations.rememberUser(userId, atMs);
    for (const [id, found] of this.cache.entries()) if (found.session.user_id === userId) this.cache.delete(id);
  }

  /** Sessions held in the cache (at most SESSION_CACHE_MAX). */
  get cachedCount(): number {
    return this.cache.size;
  }

  /** The cache is safe only while invalidations can reach it. */
  setCacheEnabled(enabled: boolean): void {
    this.generation++;
    this.cacheEnabled = enabled;
    if (!enabled) this.cache.clear();
  }

  /** Forgets the cached sessions (control-plane reset; the revocation memory is cleared by its owner). */
  clearCache(): void {
    this.generation++;
    this.cache.clear();
  }

  /** Forgets the cache and the remembered revocations. */
  clear(): void | Promise<void> {
    this.clearCache();
    return this.revocations.clear();
  }
}

function parseSession(body: Buffer): FoundSession {
  let raw: Partial<BackendSession>;
  try {
    raw = JSON.parse(body.toString("utf8"));
  } catch {
    throw new BackendUnavailableError("session lookup answered non-JSON");
  }
  if (
    typeof raw !== "object" ||
    raw === null ||
    typeof raw.device_session_id !== "string" ||
    typeof raw.user_id !== "string" ||
    typeof raw.client_public_key !== "string" ||
    (raw.status !== "active" && raw.status !== "revoked")
  ) {
    throw new BackendUnavailableError("session lookup answered an unexpected shape");
  }
  let publicKey: Uint8Array;
  try {
    publicKey = fromBase64Url(raw.client_public_key);
  } catch {
    publicKey = new Uint8Array(0); // verifies nothing: the signature stage rejects
  }
  const session: BackendSession = {
    device_session_id: raw.device_session_id,
    user_id: raw.user_id,
    client_public_key: raw.client_public_key,
    status: raw.status,
    created_at_ms: typeof raw.created_at_ms === "number" ? raw.created_at_ms : 0,
  };
  return { session, publicKey };
}
