// The replay store: (device_session_id, request_id) reservations that expire. One Map from a
// combined key to a small-integer expiry (seconds since the store's epoch, so V8 keeps it unboxed),
// swept incrementally in insertion order. Capped: past the cap the oldest reservation goes first.
//
// Sweeping and eviction share one long-lived cursor over the Map instead of starting a fresh iterator
// at the front on every call: a Map that is deleted from the front keeps the deleted slots until it is
// rehashed, and a fresh iterator would step over all of them each time (quadratic under a steady flood
// of distinct request ids). A live Map iterator survives deletions, additions and rehashing.
export const DEFAULT_REPLAY_CAPACITY = 2_000_000;

export class ReplayStore {
  private readonly entries = new Map<string, number>();
  private cursor: MapIterator<[string, number]> | undefined;
  /** The entry under the cursor, read but not yet consumed (it may be stale: checked before use). */
  private peeked: [string, number] | undefined;
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
    if (expiry !== undefined) this.entries.delete(key); // re-reserved: moves to the end of the order
    this.entries.set(key, now + Math.ceil(ttlMs / 1000) + 1);
    if (this.entries.size > this.capacity) this.evictOldest();
    return true;
  }

  get size(): number {
    return this.entries.size;
  }

  clear(): void {
    this.entries.clear();
    this.cursor = undefined;
    this.peeked = undefined;
  }

  /**
   * Drops up to `budget` expired entries from the front. Entries are in insertion order and TTLs
   * only change with the config, so the front is (nearly) the oldest: a little work per call keeps
   * the store from growing without a timer.
   */
  private sweep(now: number, budget: number): void {
    while (budget-- > 0) {
      const front = this.front();
      if (!front || front[1] > now) return;
      this.consumeFront();
    }
  }

  private evictOldest(): void {
    while (this.entries.size > this.capacity && this.front()) this.consumeFront();
  }

  /** The oldest live entry, or undefined when the map is empty. */
  private front(): [string, number] | undefined {
    for (;;) {
      if (!this.peeked) {
        this.cursor ??= this.entries.entries();
        const next = this.cursor.next();
        if (next.done) {
          this.cursor = undefined; // exhausted: the next call starts again at the (new) front
          return undefined;
        }
        this.peeked = next.value;
      }
      // Stale if deleted or re-reserved (moved to the end) since it was read.
      if (this.entries.get(this.peeked[0]) === this.peeked[1]) return this.peeked;
      this.peeked = undefined;
    }
  }

  private consumeFront(): void {
    this.entries.delete(this.peeked![0]);
    this.peeked = undefined;
  }

  private toSeconds(ms: number): number {
    return Math.floor((ms - this.epochMs) / 1000);
  }
}
