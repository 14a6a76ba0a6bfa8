// The journal kept across restarts: the newest entries in <stateDir>/journal.json, written crash-safely
// (src/node/atomic-file.ts) and group-committed — a change marks the journal dirty and one write,
// at most every FLUSH_DELAY_MS, carries every change made meanwhile, so a busy gateway never writes
// per call and never waits for the disk on a call's path. Loaded once at start, before serving.
import { readFile, stat } from "node:fs/promises";
import type { JournalEntry } from "../shared/protocol.js";
import { removeStaleTempFiles, stateFilePath, writeFileAtomic } from "../node/atomic-file.js";
import type { Journal } from "./journal.js";

export const JOURNAL_FILE = "journal.json";
/**
 * The newest 1,000 entries are kept: more than the console's inspector lists (300), and the file stays
 * small — about 0.5 MB with the default routes' bodies, at most ~33 MB with every body at its cap.
 */
export const PERSISTED_JOURNAL_ENTRIES = 1_000;
/** One write per second at most: a burst of calls costs one write, and a restart loses at most ~1 s. */
export const FLUSH_DELAY_MS = 1_000;
/** A file larger than what PERSISTED_JOURNAL_ENTRIES capped entries can make is not ours: not read. */
export const MAX_JOURNAL_FILE_BYTES = 40 * 1024 * 1024;

interface JournalFileContent {
  version: 1;
  entries: JournalEntry[];
}

/** Enough of an entry's shape that the console can show it; anything else in the file is skipped. */
function isEntry(e: unknown): e is JournalEntry {
  const o = e as Partial<JournalEntry> | null;
  return (
    typeof o === "object" &&
    o !== null &&
    Number.isSafeInteger(o.seq) &&
    (o.seq ?? 0) > 0 &&
    typeof o.at_ms === "number" &&
    (o.rpc === "ExecuteCommand" || o.rpc === "SubscribeEvents") &&
    typeof o.code === "string" &&
    typeof o.request_id === "string" &&
    typeof o.device_session_id === "string" &&
    typeof o.message_type === "string" &&
    Array.isArray(o.stages)
  );
}

export class JournalFile {
  private readonly path: string;
  private dirty = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private writing: Promise<void> | undefined;
  private stopListening: (() => void) | undefined;

  constructor(
    stateDir: string,
    private readonly journal: Journal,
    /** A failed write (disk full, folder gone): the journal goes on in memory; the next change retries. */
    private readonly onError: (err: unknown) => void = () => {},
  ) {
    this.path = stateFilePath(stateDir, JOURNAL_FILE);
  }

  /** Restores what an earlier run persisted (a missing, oversized or unreadable file: nothing), then follows changes. */
  async open(): Promise<void> {
    await removeStaleTempFiles(this.path);
    this.journal.restore(await this.read());
    this.stopListening = this.journal.onChange(() => this.schedule());
  }

  /** Writes what is pending now (shutdown); later changes are no longer followed. */
  async close(): Promise<void> {
    this.stopListening?.();
    this.stopListening = undefined;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.writing;
    if (this.dirty) await this.write();
  }

  private async read(): Promise<JournalEntry[]> {
    try {
      if ((await stat(this.path)).size > MAX_JOURNAL_FILE_BYTES) return [];
      const content = JSON.parse(await readFile(this.path, "utf8")) as Partial<JournalFileContent> | null;
      return content?.version === 1 && Array.isArray(content.entries) ? content.entries.filter(isEntry) : [];
    } catch {
      return [];
    }
  }

  private schedule(): void {
    this.dirty = true;
    if (this.timer || this.writing) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.write();
    }, FLUSH_DELAY_MS);
    this.timer.unref();
  }

  private write(): Promise<void> {
    this.dirty = false;
    const content: JournalFileContent = { version: 1, entries: this.journal.newest(PERSISTED_JOURNAL_ENTRIES) };
    this.writing = writeFileAtomic(this.path, JSON.stringify(content))
      .catch((err: unknown) => this.onError(err))
      .finally(() => {
        this.writing = undefined;
        // Changes made while this write ran go in the next one.
        if (this.dirty && this.stopListening) this.schedule();
      });
    return this.writing;
  }
}
