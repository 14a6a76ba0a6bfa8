// The console's journal feed: after a failed poll it waits by the shared backoff policy, then follows
// the journal again from where it was.
import { describe, expect, it } from "vitest";
import { backoffDelay } from "../../src/shared/backoff.js";
import type { JournalEntry } from "../../src/shared/protocol.js";
import { JOURNAL_BACKOFF, JournalFeed } from "../../src/renderer/services/journal-feed.js";

const entry = (seq: number) => ({ seq, at_ms: seq, rpc: "ExecuteCommand", protocol: "connect", device_session_id: "d", request_id: `r${seq}`, message_type: "m", stages: [], code: "ok" }) as JournalEntry;

describe("JournalFeed", () => {
  it("backs off by JOURNAL_BACKOFF after failures, then shows the entries it missed", async () => {
    const waits: number[] = [];
    let calls = 0;
    const feed = new JournalFeed(
      {
        async getJournal(after: number, waitMs: number) {
          calls++;
          if (calls <= 2) throw new Error("gateway unreachable");
          if (waitMs === 0) return []; // the resync after the outage: nothing older than what we had
          if (after === 0) return [entry(1), entry(2)];
          return new Promise<JournalEntry[]>(() => {}); // a long poll held open
        },
      },
      { wait: async (ms) => void waits.push(ms), random: () => 0.5 },
    );
    const caughtUp = new Promise<void>((resolve) => feed.subscribe(() => feed.getSnapshot().lastSeq === 2 && resolve()));
    feed.start();
    await caughtUp;
    feed.stop();
    expect(waits).toEqual([backoffDelay(JOURNAL_BACKOFF, 1, { random: () => 0.5 }), backoffDelay(JOURNAL_BACKOFF, 2, { random: () => 0.5 })]);
    expect(waits).toEqual([1_000, 2_000]);
    expect(feed.getSnapshot()).toMatchObject({ lastSeq: 2, connected: true });
    expect(feed.getSnapshot().entries.map((e) => e.seq)).toEqual([1, 2]);
  });
});
