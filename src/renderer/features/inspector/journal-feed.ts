// Follows the gateway journal with long polls (`?after=N&wait_ms=25000`), keeping the newest entries.
// One feed for the whole app: started when the inspector first opens, kept running afterwards.
import type { JournalEntry } from "../../../shared/protocol.js";
import { getJournal } from "../../api/control.js";
import { describeError } from "../../api/http.js";

const WAIT_MS = 25_000;
const KEEP = 1_000;

export interface FeedState {
  entries: JournalEntry[];
  lastSeq: number;
  connected: boolean;
  error?: string;
}

export class JournalFeed {
  private state: FeedState = { entries: [], lastSeq: 0, connected: false };
  private readonly listeners = new Set<() => void>();
  private abort: AbortController | undefined;

  readonly subscribe = (l: () => void) => {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  };
  readonly getSnapshot = () => this.state;

  start(): void {
    if (this.abort) return;
    this.abort = new AbortController();
    void this.loop(this.abort.signal);
  }

  stop(): void {
    this.abort?.abort();
    this.abort = undefined;
  }

  /** Forgets what was shown (the journal itself is cleared by an emulator reset). */
  clearLocal(): void {
    this.set({ ...this.state, entries: [] });
  }

  private async loop(signal: AbortSignal): Promise<void> {
    let failures = 0;
    while (!signal.aborted) {
      try {
        if (failures > 0 && (await this.resync(signal))) {
          failures = 0;
          continue;
        }
        const fresh = await getJournal(this.state.lastSeq, WAIT_MS, signal);
        failures = 0;
        const lastSeq = fresh.reduce((m, e) => Math.max(m, e.seq), this.state.lastSeq);
        const entries = fresh.length ? [...this.state.entries, ...fresh].slice(-KEEP) : this.state.entries;
        this.set({ entries, lastSeq, connected: true });
      } catch (e) {
        if (signal.aborted) return;
        failures++;
        this.set({ ...this.state, connected: false, error: describeError(e) });
        await new Promise((r) => setTimeout(r, Math.min(10_000, 500 * 2 ** failures)));
      }
    }
  }

  /**
   * After an outage the gateway may have restarted with a new journal (seq from 1 again): then the
   * long poll past our last seq would stay silent. Start over when the journal's seq went backwards.
   */
  private async resync(signal: AbortSignal): Promise<boolean> {
    const all = await getJournal(0, 0, signal);
    const maxSeq = all.reduce((m, e) => Math.max(m, e.seq), 0);
    if (maxSeq >= this.state.lastSeq) return false;
    this.set({ entries: all.slice(-KEEP), lastSeq: maxSeq, connected: true });
    return true;
  }

  private set(next: FeedState): void {
    this.state = next;
    for (const l of this.listeners) l();
  }
}

export const journalFeed = new JournalFeed();
