// The journal of §7: one entry per RPC with every stage's verdict and time, and ExecuteCommand's
// request and response bodies. Bounded (oldest entries are dropped; bodies are capped each and in
// total), and long-pollable so the desktop inspector can follow it live without busy polling.
import type { JournalBody, JournalEntry } from "../shared/protocol.js";

export const DEFAULT_JOURNAL_CAPACITY = 5_000;
/**
 * A body's first 16 KiB are kept: the default routes' payloads are well under 1 KiB, and 16 KiB shows
 * a quarter of the largest payload the gateway accepts (64 KiB) — enough to read what went wrong.
 */
export const MAX_JOURNAL_BODY_BYTES = 16 * 1024;
/**
 * All bodies together stay under 32 MiB: without it a full journal of capped bodies would hold
 * 5,000 × 2 × 16 KiB = 160 MiB. Past it the oldest entries lose their bodies (bodies_dropped).
 */
export const JOURNAL_BODY_BUDGET_BYTES = 32 * 1024 * 1024;

/** The journal's copy of a body: the first MAX_JOURNAL_BODY_BYTES, decoded as UTF-8. */
export function journalBody(bytes: Uint8Array): JournalBody {
  const truncated = bytes.length > MAX_JOURNAL_BODY_BYTES;
  const kept = truncated ? bytes.subarray(0, MAX_JOURNAL_BODY_BYTES) : bytes;
  return { text: Buffer.from(kept.buffer, kept.byteOffset, kept.byteLength).toString("utf8"), bytes: bytes.length, truncated };
}

function bodyBytesOf(entry: JournalEntry): number {
  return (entry.request_body?.text.length ?? 0) + (entry.response_body?.text.length ?? 0);
}

export class Journal {
  private entries: JournalEntry[] = [];
  /** Entries before this index are dropped; they are spliced out in batches, so appends stay O(1). */
  private start = 0;
  private nextSeq = 1;
  private waiters = new Set<() => void>();
  private closed = false;
  /** Body characters held by entries from `start` on (UTF-16 units: a cheap, close bound of their bytes). */
  private bodyChars = 0;
  /** Entries before this index have had their bodies dropped for the budget (or had none counted). */
  private stripped = 0;
  private readonly changeListeners = new Set<() => void>();
  private mirror: ((entry: JournalEntry) => void) | undefined;

  constructor(
    private readonly capacity = DEFAULT_JOURNAL_CAPACITY,
    private readonly bodyBudget = JOURNAL_BODY_BUDGET_BYTES,
  ) {}

  /** Cluster mode: every entry is also handed to `mirror` (redis/journal-mirror.ts). */
  mirrorTo(mirror: (entry: JournalEntry) => void): void {
    this.mirror = mirror;
  }

  append(entry: Omit<JournalEntry, "seq">): JournalEntry {
    const full = { seq: this.nextSeq++, ...entry };
    this.push(full);
    this.changed();
    this.mirror?.(full);
    return full;
  }

  /** Puts back entries persisted by an earlier run (journal-file.ts); seq goes on after the newest. */
  restore(entries: readonly JournalEntry[]): void {
    for (const entry of [...entries].sort((a, b) => a.seq - b.seq)) {
      if (entry.seq < this.nextSeq) continue;
      this.nextSeq = entry.seq + 1;
      this.push(entry);
    }
  }

  /** Called after every change (append, clear): the persistence schedules a write. */
  onChange(listener: () => void): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }

  private push(full: JournalEntry): void {
    this.entries.push(full);
    this.bodyChars += bodyBytesOf(full);
    while (this.entries.length - this.start > this.capacity) this.dropOldest();
    while (this.bodyChars > this.bodyBudget && this.stripped < this.entries.length) this.stripOldestBodies();
    if (this.start > this.capacity / 10) {
      this.entries.splice(0, this.start);
      this.stripped = Math.max(0, this.stripped - this.start);
      this.start = 0;
    }
  }

  private dropOldest(): void {
    if (this.start >= this.stripped) this.bodyChars -= bodyBytesOf(this.entries[this.start]!);
    this.start++;
  }

  private stripOldestBodies(): void {
    const i = Math.max(this.stripped, this.start);
    const entry = this.entries[i]!;
    const size = bodyBytesOf(entry);
    if (size > 0) {
      const { request_body: _request, response_body: _response, ...rest } = entry;
      this.entries[i] = { ...rest, bodies_dropped: true };
      this.bodyChars -= size;
    }
    this.stripped = i + 1;
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

  /** The newest `count` entries, oldest first. */
  newest(count: number): JournalEntry[] {
    return this.entries.slice(Math.max(this.start, this.entries.length - count));
  }

  /** How many entries of each RPC the journal holds. */
  counts(): { commands: number; subscriptions: number } {
    let commands = 0;
    for (let i = this.start; i < this.entries.length; i++) if (this.entries[i]!.rpc === "ExecuteCommand") commands++;
    return { commands, subscriptions: this.size - commands };
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
    this.stripped = 0;
    this.bodyChars = 0;
    this.changed();
  }

  private changed(): void {
    this.wakeAll();
    for (const listener of this.changeListeners) listener();
  }

  private wakeAll(): void {
    for (const wake of this.waiters) wake();
    this.waiters.clear();
  }

  get size(): number {
    return this.entries.length - this.start;
  }
}
