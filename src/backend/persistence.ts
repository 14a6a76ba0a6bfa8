// Optional persistence of the mock backend (`startMockBackend({ stateDir })`): users, sessions,
// challenges, mailbox, the push log with its id counter, and the stub mappings (stubs/), as one JSON document written atomically
// (src/node/atomic-file.ts: temp file, fsync, rename, fsync of the folder). A kill -9 at any moment
// leaves the previous or the new document, never a torn one.
//
// Writes are group-committed: `flush()` resolves once a write that started after the call has landed,
// so every mutation is durable before its HTTP answer (router.ts) and before a push event is fanned out
// (push-log.ts). Concurrent mutations share writes; at most one write runs at a time.
import { mkdir, readFile } from "node:fs/promises";
import { removeStaleTempFiles, stateFilePath, writeFileAtomic } from "../node/atomic-file.js";
import type { PushLogState } from "./push-log.js";
import { checkSnapshot } from "./snapshot-check.js";
import type { StoreState } from "./store.js";
import type { StubsState } from "./stubs/stub-store.js";

export const STATE_FILE = "mock-backend-state.json";
export const STATE_VERSION = 1;

export interface PersistedState {
  version: typeof STATE_VERSION;
  saved_at_ms: number;
  store: StoreState;
  push: PushLogState;
  /** Stub mappings, their match counts and scenario states; absent in files written before stubs existed. */
  stubs?: StubsState;
}

export class StateFile {
  private waiting: { resolve: () => void; reject: (err: unknown) => void }[] = [];
  private writing = false;

  private constructor(
    readonly path: string,
    private readonly snapshot: () => PersistedState,
  ) {}

  /**
   * Opens the state file in `stateDir` (created if needed) and returns it with what it held, or
   * undefined when there is none yet. A file that does not parse is an error: the mock refuses to
   * start rather than silently forget its users.
   */
  static async open(stateDir: string, snapshot: () => PersistedState): Promise<{ file: StateFile; loaded?: PersistedState }> {
    await mkdir(stateDir, { recursive: true, mode: 0o700 });
    const path = stateFilePath(stateDir, STATE_FILE);
    await removeStaleTempFiles(path);
    const file = new StateFile(path, snapshot);
    let text: string;
    try {
      text = await readFile(path, "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return { file };
      throw err;
    }
    let loaded: PersistedState;
    try {
      loaded = checkSnapshot(JSON.parse(text), STATE_VERSION);
    } catch (err) {
      throw new Error(`mock backend state ${path} is unreadable (${(err as Error).message}); move it away to start empty`);
    }
    return { file, loaded };
  }

  /** Resolves once everything changed before this call is on disk; rejects if that write failed. */
  flush(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      if (!this.writing) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.writing = true;
    while (this.waiting.length > 0) {
      const batch = this.waiting;
      this.waiting = [];
      try {
        await writeFileAtomic(this.path, JSON.stringify(this.snapshot()));
        for (const w of batch) w.resolve();
      } catch (err) {
        for (const w of batch) w.reject(err);
      }
    }
    this.writing = false;
  }
}
