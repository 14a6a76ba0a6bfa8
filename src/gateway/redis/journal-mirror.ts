// The cluster's journal (`GET /emulator/v1/journal?scope=cluster`): every instance copies its journal
// entries into one Redis stream, so a reader reaches all instances' calls through any of them — with
// one shared port it cannot choose the instance it reaches. Entries are numbered by one cluster-wide
// counter (their `seq` in that view, each keeping its `instance`), in the order they reached Redis.
//
// Cost: entries are buffered and leave once per event-loop turn, all in one script call, so a busy
// gateway adds one Redis round trip per turn, not per call. Bounded: the stream keeps about the last
// DEFAULT_JOURNAL_CAPACITY entries (MAXLEN ~) and both keys expire a day after the last write. If Redis
// cannot take a batch, that batch is missing from the cluster view only (each instance's own journal
// has it): the journal is a diagnostic, never a check.
import type { Redis } from "ioredis";
import type { JournalEntry } from "../../shared/protocol.js";
import { DEFAULT_JOURNAL_CAPACITY } from "../journal.js";

export const JOURNAL_KEYS = { stream: "galaxy:journal:entries", seq: "galaxy:journal:seq" } as const;
const JOURNAL_TTL_MS = 24 * 3600_000;
/** A long-poll of the cluster view asks Redis this often (there is no wake-up across instances). */
export const CLUSTER_JOURNAL_POLL_MS = 100;

const APPEND = `
local last = 0
for i = 1, #ARGV - 2 do
  last = redis.call('INCR', KEYS[2])
  redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[#ARGV - 1], '0-' .. last, 'e', ARGV[i])
end
redis.call('PEXPIRE', KEYS[1], ARGV[#ARGV])
redis.call('PEXPIRE', KEYS[2], ARGV[#ARGV])
return last
`;

interface MirrorCommands {
  galaxyJournalAppend(stream: string, seq: string, ...args: string[]): Promise<number>;
}

export class RedisJournalMirror {
  private pending: string[] = [];
  private closed = false;
  private readonly redis: Redis & MirrorCommands;

  constructor(redis: Redis) {
    redis.defineCommand("galaxyJournalAppend", { numberOfKeys: 2, lua: APPEND });
    this.redis = redis as Redis & MirrorCommands;
  }

  append(entry: JournalEntry): void {
    // The instance's own seq means nothing in the cluster view: the counter numbers it there.
    const { seq: _seq, ...rest } = entry;
    if (this.pending.push(JSON.stringify(rest)) === 1) setImmediate(() => this.flush());
  }

  /** Entries with cluster seq > after, oldest first, at most `limit`; waits up to `waitMs` for a first one. */
  async read(after: number, limit: number, waitMs: number, signal: AbortSignal): Promise<JournalEntry[]> {
    const until = Date.now() + waitMs;
    for (;;) {
      const found = await this.redis.xrange(JOURNAL_KEYS.stream, `(0-${after}`, "+", "COUNT", limit);
      if (found.length > 0 || Date.now() >= until || signal.aborted || this.closed) {
        return found.map(([id, fields]) => ({ ...(JSON.parse(fields[1]!) as Omit<JournalEntry, "seq">), seq: Number(id.slice(2)) }));
      }
      await new Promise((resolve) => setTimeout(resolve, Math.min(CLUSTER_JOURNAL_POLL_MS, until - Date.now())));
    }
  }

  /** Shutdown: long-polls answer now (so HTTP can drain). */
  close(): void {
    this.closed = true;
    this.flush();
  }

  /** Empties the cluster view (reset); the counter goes on, so readers' `after` stays valid. */
  async clear(): Promise<void> {
    this.pending = [];
    await this.redis.del(JOURNAL_KEYS.stream).catch(ignoreOutage);
  }

  private flush(): void {
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return;
    this.redis
      .galaxyJournalAppend(JOURNAL_KEYS.stream, JOURNAL_KEYS.seq, ...batch, String(DEFAULT_JOURNAL_CAPACITY), String(JOURNAL_TTL_MS))
      .catch(ignoreOutage);
  }
}

/**
 * A batch Redis could not take is left out of the cluster view (the instance's journal has it). Not
 * reported: the connection reports the outage once, whereas this would fail on every turn of a busy
 * gateway until Redis is back.
 */
function ignoreOutage(): void {}
