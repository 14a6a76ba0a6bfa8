// The console's files held in memory, one copy per file for every response (issue 10: each stalled
// response streaming from disk held a file descriptor; two connections × 250 GETs granting no window
// exhausted a 256-descriptor limit, and /healthz stopped answering). A response sends slices of the
// shared copy, so a client that does not read holds neither a descriptor nor a copy of its own.
//
// The console may be rebuilt while the emulator runs: each request stats the file, and a copy whose
// size, mtime or inode differ is replaced (responses already under way finish with the bytes they
// started with). Vite names assets by content hash, so a rebuild leaves copies of files that are gone:
// those are dropped when the cache is full. Files that do not fit are streamed from disk instead, at
// most `maxOpenFiles` at once.
import type { Stats } from "node:fs";
import { promises as fs } from "node:fs";

/**
 * Bytes of console files held in memory per gateway. The built console is about 2.4 MB with its
 * source map (0.4 MB without): 32 MiB holds it many times over, rebuilds included.
 */
export const CONSOLE_CACHE_BYTES = 32 * 1024 * 1024;

/**
 * Console files streamed from disk at once (those the cache cannot hold); past it `503`. Well under
 * the common 1,024-descriptor limit, so that sockets and the state files always have room.
 */
export const MAX_OPEN_CONSOLE_FILES = 128;

/** A full cache looks for copies of changed files at most this often (it stats every copy). */
const SWEEP_INTERVAL_MS = 1_000;

interface CachedFile {
  readonly bytes: Buffer;
  readonly version: string;
}

/** What identifies one version of a file on disk. */
function versionOf(stat: Stats): string {
  return `${stat.size}:${stat.mtimeMs}:${stat.ino}`;
}

export class ConsoleFileCache {
  private readonly files = new Map<string, CachedFile>();
  private readonly loading = new Map<string, Promise<Buffer | undefined>>();
  /** Bytes of the copies held, and of those being read. */
  private heldBytes = 0;
  private sweeping: Promise<void> | undefined;
  private lastSweepAt = -Infinity;

  constructor(private readonly capBytes: number) {}

  /**
   * The bytes of `file` (a real path inside the console) as `stat` describes it, read once; undefined
   * when it does not fit in the cache or changed while it was read: then it is streamed from disk.
   */
  async get(file: string, stat: Stats): Promise<Buffer | undefined> {
    const version = versionOf(stat);
    const key = `${file}\0${version}`;
    let found = this.lookup(file, version, key);
    if (found) return found;
    if (this.heldBytes + stat.size > this.capBytes && performance.now() - this.lastSweepAt >= SWEEP_INTERVAL_MS) {
      await this.sweep();
      found = this.lookup(file, version, key); // another request may have read it meanwhile
      if (found) return found;
    }
    if (this.heldBytes + stat.size > this.capBytes) return undefined;
    const load = this.load(file, stat.size, version);
    this.loading.set(key, load);
    void load.finally(() => this.loading.delete(key));
    return load;
  }

  /** The copy of this version, or its read under way; a copy of another version is dropped. */
  private lookup(file: string, version: string, key: string): Buffer | Promise<Buffer | undefined> | undefined {
    const cached = this.files.get(file);
    if (cached?.version === version) return cached.bytes;
    if (cached) this.drop(file, cached);
    return this.loading.get(key);
  }

  private async load(file: string, size: number, version: string): Promise<Buffer | undefined> {
    this.heldBytes += size;
    let bytes: Buffer | undefined;
    try {
      const handle = await fs.open(file, "r");
      try {
        // The version is checked on the open file: what is read is what was stat'ed.
        if (versionOf(await handle.stat()) === version) bytes = await handle.readFile();
      } finally {
        await handle.close();
      }
    } catch {
      bytes = undefined; // gone meanwhile: the caller answers 404 or streams
    }
    if (!bytes || bytes.length !== size) {
      this.heldBytes -= size;
      return undefined;
    }
    const previous = this.files.get(file);
    if (previous) this.drop(file, previous);
    this.files.set(file, { bytes, version });
    return bytes;
  }

  private drop(file: string, cached: CachedFile): void {
    if (this.files.get(file) !== cached) return;
    this.files.delete(file);
    this.heldBytes -= cached.bytes.length;
  }

  /** Drops the copies of files that are gone or changed on disk (a rebuild); one sweep at a time. */
  private sweep(): Promise<void> {
    this.sweeping ??= (async () => {
      this.lastSweepAt = performance.now();
      await Promise.all(
        [...this.files].map(async ([file, cached]) => {
          const stat = await fs.stat(file).catch(() => undefined);
          if (!stat || versionOf(stat) !== cached.version) this.drop(file, cached);
        }),
      );
    })().finally(() => (this.sweeping = undefined));
    return this.sweeping;
  }
}
