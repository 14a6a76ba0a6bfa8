// The journal of §7: one entry per RPC with every stage's verdict and time. Bounded (oldest entries
// are dropped), and long-pollable so the desktop inspector can follow it live without busy polling.
import type { JournalEntry } from "../shared/protocol.js";

export const DEFAULT_JOURNAL_CAPACITY = 5_000;

export class Journal {
  private entries: JournalEntry[] = [];
  private nextSeq = 1;
  private waiters = new Set<() => void>();
  private closed = false;

  constructor(private readonly capacity = DEFAULT_JOURNAL_CAPACITY) {}

  append(entry: Omit<JournalEntry, "seq">): JournalEntry {
    const full = { seq: this.nextSeq++, ...entry };
    this.entries.push(full);
    // Trim in batches of a tenth of the capacity: one splice per many appends keeps appends O(1)
    // amortised (a splice per append once full cost O(capacity) each).
    if (this.entries.length > this.capacity + Math.ceil(this.capacity / 10)) {
      this.entries.splice(0, this.entries.length - this.capacity);
    }
    this.wakeAll();
    return full;
  }

  /** Entries with seq > after, oldest first, at most `limit`. */
  after(after: number, limit = 1_000): JournalEntry[] {
    // Entries are sorted by seq: binary search for the first one past `after`.
    let lo = 0;
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
    this.wakeAll();
  }

  private wakeAll(): void {
    for (const wake of this.waiters) wake();
    this.waiters.clear();
  }

  get size(): number {
    return this.entries.length;
  }
}
