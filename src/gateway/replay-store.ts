// The replay store: (device_session_id, request_id) reservations that expire. One Map from a
// combined key to a small-integer expiry (seconds since the store's epoch, so V8 keeps it unboxed),
// swept incrementally in insertion order. Capped: past the cap the oldest reservation goes first.
export const DEFAULT_REPLAY_CAPACITY = 2_000_000;

export class ReplayStore {
  private readonly entries = new Map<string, number>();
  private readonly epochMs: number;

  constructor(
    private readonly capacity = DEFAULT_REPLAY_CAPACITY,
    nowMs = Date.now(),
  ) {
    this.epochMs = nowMs;
  }

  /** True when newly reserved; false when the pair is already reserved and not yet expired. */
  reserve(deviceSessionId: string, requestId: string, nowMs: number, ttlMs: number): boolean {
    const now = this.toSeconds(nowMs);
    this.sweep(now, 2);
    // "\n" cannot occur in either id (the envelope stage checks both), so the key is unambiguous.
    const key = `${deviceSessionId}\n${requestId}`;
    const expiry = this.entries.get(key);
    if (expiry !== undefined && expiry > now) return false;
    if (expiry !== undefined) this.entries.delete(key);
    this.entries.set(key, now + Math.ceil(ttlMs / 1000) + 1);
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
    return true;
  }

  get size(): number {
    return this.entries.size;
  }

  clear(): void {
    this.entries.clear();
  }

  /**
   * Drops up to `budget` expired entries from the front. Entries are in insertion order and TTLs
   * only change with the config, so the front is (nearly) the oldest: a little work per call keeps
   * the store from growing without a timer.
   */
  private sweep(now: number, budget: number): void {
    for (const [key, expiry] of this.entries) {
      if (budget-- <= 0 || expiry > now) return;
      this.entries.delete(key);
    }
  }

  private toSeconds(ms: number): number {
    return Math.floor((ms - this.epochMs) / 1000);
  }
}
