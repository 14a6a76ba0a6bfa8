// Follows the gateway journal with long polls (`?after=N&wait_ms=25000`), keeping the newest entries.
// One feed for the whole app (the root creates it): started when the inspector first opens, kept
// running afterwards.
import { abortableDelay } from "../../shared/abortable-delay.js";
import { backoffDelay, type BackoffPolicy } from "../../shared/backoff.js";
import type { JournalEntry } from "../../shared/protocol.js";
import { Store, type ExternalStore } from "../lib/store.js";
import type { ControlPlane } from "./control-plane.js";
import { describeError } from "./http.js";

/** Below the gateway's 30 s cap on wait_ms, so a held poll ends by the gateway's answer, not a timeout. */
const WAIT_MS = 25_000;
/** The inspector lists the newest 300; the rest stay for its filter. */
const KEEP = 1_000;
/** 1 s, 2 s, 4 s … 10 s between failed polls: the inspector catches up soon after a gateway restart. */
export const JOURNAL_BACKOFF: BackoffPolicy = { baseMs: 1_000, capMs: 10_000 };

/** The feed's timing; tests substitute it. */
export interface JournalFeedDeps {
  /** Waits `ms` before the next poll after a failure, ending early when `signal` aborts. */
  wait?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Jitter source of the backoff. */
  random?: () => number;
}

export interface FeedState {
  entries: JournalEntry[];
  lastSeq: number;
  connected: boolean;
  error?: string;
}

/** An external store (lib/store.ts) of the journal entries seen so far. */
export class JournalFeed implements ExternalStore<FeedState> {
  private readonly state = new Store<FeedState>({ entries: [], lastSeq: 0, connected: false });
  private abort: AbortController | undefined;

  private readonly wait: (ms: number, signal: AbortSignal) => Promise<void>;
  private readonly random: () => number;

  constructor(
    private readonly control: Pick<ControlPlane, "getJournal">,
    deps: JournalFeedDeps = {},
  ) {
    this.wait = deps.wait ?? abortableDelay;
    this.random = deps.random ?? Math.random;
  }

  readonly subscribe = this.state.subscribe;
  readonly getSnapshot = this.state.getSnapshot;

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
    this.state.update((s) => ({ ...s, entries: [] }));
  }

  private async loop(signal: AbortSignal): Promise<void> {
    let failures = 0;
    while (!signal.aborted) {
      try {
        if (failures > 0 && (await this.resync(signal))) {
          failures = 0;
          continue;
        }
        const current = this.state.getSnapshot();
        const fresh = await this.control.getJournal(current.lastSeq, WAIT_MS, signal);
        failures = 0;
        this.state.update((s) => ({
          entries: fresh.length ? [...s.entries, ...fresh].slice(-KEEP) : s.entries,
          lastSeq: fresh.reduce((m, e) => Math.max(m, e.seq), s.lastSeq),
          connected: true,
        }));
      } catch (e) {
        if (signal.aborted) return;
        failures++;
        this.state.update((s) => ({ ...s, connected: false, error: describeError(e) }));
        await this.wait(backoffDelay(JOURNAL_BACKOFF, failures, { random: this.random }), signal);
      }
    }
  }

  /**
   * After an outage the gateway may have restarted with a new journal (seq from 1 again): then the
   * long poll past our last seq would stay silent. Start over when the journal's seq went backwards.
   */
  private async resync(signal: AbortSignal): Promise<boolean> {
    const all = await this.control.getJournal(0, 0, signal);
    const maxSeq = all.reduce((m, e) => Math.max(m, e.seq), 0);
    if (maxSeq >= this.state.getSnapshot().lastSeq) return false;
    this.state.set({ entries: all.slice(-KEEP), lastSeq: maxSeq, connected: true });
    return true;
  }
}
