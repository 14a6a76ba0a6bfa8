// The journal of §7: one entry per RPC with every stage's verdict and time. Bounded (oldest entries
// are dropped), and long-pollable so the desktop inspector can follow it live without busy polling.
import type { JournalEntry } from "../shared/protocol.js";

export const DEFAULT_JOURNAL_CAPACITY = 5_000;

export class Journal {
  private entries: JournalEntry[] = [];
  /** Entries before this index are dropped; they are spliced out in batches, so appends stay O(1). */
  private start = 0;
  private nextSeq = 1;
  private waiters = new Set<() => void>();
  private closed = false;
  private mirror: ((entry: JournalEntry) => void) | undefined;

  constructor(private readonly capacity = DEFAULT_JOURNAL_CAPACITY) {}

  /** Cluster mode: every entry is also handed to `mirror` (redis/journal-mirror.ts). */
  mirrorTo(mirror: (entry: JournalEntry) => void): void {
    this.mirror = mirror;
  }

  append(entry: Omit<JournalEntry, "seq">): JournalEntry {
    const full = { seq: this.nextSeq++, ...entry };
    this.entries.push(full);
    if (this.entries.length - this.start > this.capacity) this.start = this.entries.length - this.capacity;
    if (this.start > this.capacity / 10) {
      this.entries.splice(0, this.start);
      this.start = 0;
    }
    this.wakeAll();
    this.mirror?.(full);
    return full;
  }

  /** Entries with seq > after, oldest first, at most `limit`. */
  after(after: number, limit = 1_000): JournalEntry[] {
    // Entries are sorted by seq: binary search for the first one past `after`.
    let lo = this.start;
    let hi = this.entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.entries[mid]!.seq <= after) lo = mid + 1;
      else hi = mid;
    }
    return this.entries.slice(lo, lo + limit);
  }

  /** Like `after`, but waits up to `waitMs` for a first entry; resolves early if `signal` aborts. */
  async waitAfter(after: number, waitMs: number, signal?: AbortSignal, limit?: number): Promise<JournalEntry[]> {
    const ready = this.after(after, limit);
    if (ready.length > 0 || waitMs <= 0 || signal?.aborted || this.closed) return ready;
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", done);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, waitMs);
      signal?.addEventListener("abort", done);
      this.waiters.add(done);
    });
    return this.after(after, limit);
  }

  /** Shutdown: long-polls answer now (so HTTP can drain) and no new ones wait. */
  close(): void {
    this.closed = true;
    this.wakeAll();
  }

  clear(): void {
    this.entries = [];
    this.start = 0;
    this.wakeAll();
  }

  private wakeAll(): void {
    for (const wake of this.waiters) wake();
    this.waiters.clear();
  }

  get size(): number {
    return this.entries.length - this.start;
  }
}
