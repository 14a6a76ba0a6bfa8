// Node-only helpers shared by the gateway, the mock backend, the CLI and the Electron main process
// (none imports another). The one crash-safe file writer of the tree: write a temp file beside the
// target, fsync it, rename it over the target (atomic on POSIX and NTFS), fsync the folder so the
// rename itself is durable. A kill -9 at any point leaves either the old or the new content, never a
// torn file; at worst a stale `.<name>.<random>.tmp` stays behind (removeStaleTempFiles cleans up).
import { randomBytes } from "node:crypto";
import * as nodeFs from "node:fs/promises";
import path from "node:path";

/** The fs/promises calls the writer makes, so tests can record them and inject failures. */
export interface AtomicWriteFs {
  mkdir: typeof nodeFs.mkdir;
  open: typeof nodeFs.open;
  rename: typeof nodeFs.rename;
  rm: typeof nodeFs.rm;
}

export interface AtomicWriteOptions {
  /** Mode of a newly created file; default 0o600 (state files hold keys and tokens). */
  mode?: number;
  /** Default: node:fs/promises. */
  fs?: AtomicWriteFs;
  /** Default: process.platform. Decides whether the folder is fsynced (not on Windows). */
  platform?: NodeJS.Platform;
}

/**
 * Replaces `target` with `data` crash-safely, creating its folder (0700) if missing. On any failure
 * the temp file is removed and the old content stays.
 */
export async function writeFileAtomic(target: string, data: string | Uint8Array, options: AtomicWriteOptions = {}): Promise<void> {
  const fs = options.fs ?? nodeFs;
  const dir = path.dirname(target);
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  const temp = path.join(dir, `.${path.basename(target)}.${randomBytes(6).toString("hex")}.tmp`);
  try {
    // "wx": never follow or clobber something already at the temp name (a planted symlink).
    const file = await fs.open(temp, "wx", options.mode ?? 0o600);
    try {
      await file.writeFile(data);
      await file.sync();
    } finally {
      await file.close();
    }
    await fs.rename(temp, target);
  } catch (err) {
    await fs.rm(temp, { force: true }).catch(() => {});
    throw err;
  }
  await syncFolder(fs, dir, options.platform ?? process.platform);
}

async function syncFolder(fs: AtomicWriteFs, dir: string, platform: NodeJS.Platform): Promise<void> {
  // Windows cannot open a folder for fsync (EISDIR/EPERM), so trying would fail every write there
  // (the gateway key of the packaged Windows app among them); NTFS journals the rename itself.
  if (platform === "win32") return;
  const handle = await fs.open(dir, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Removes temp files a killed writer of `target` left behind (call before the first write). */
export async function removeStaleTempFiles(target: string): Promise<void> {
  const prefix = `.${path.basename(target)}.`;
  const dir = path.dirname(target);
  let names: string[];
  try {
    names = await nodeFs.readdir(dir);
  } catch {
    return;
  }
  await Promise.all(
    names.filter((n) => n.startsWith(prefix) && /^[0-9a-f]{12}\.tmp$/.test(n.slice(prefix.length))).map((n) => nodeFs.rm(path.join(dir, n), { force: true })),
  );
}

/**
 * The path of a file directly inside `dir`. `name` must be a plain file name: no separators, not
 * `.`/`..`, no NUL or control characters, at most 255 bytes. Every state file path goes through here,
 * so no name (even one that came from input) can lead out of the state directory.
 */
export function stateFilePath(dir: string, name: string): string {
  // eslint-disable-next-line no-control-regex
  if (name === "" || name === "." || name === ".." || /[/\\\x00-\x1f\x7f]/.test(name) || Buffer.byteLength(name) > 255) {
    throw new Error(`not a plain file name: ${JSON.stringify(name)}`);
  }
  const root = path.resolve(dir);
  const file = path.resolve(root, name);
  if (path.dirname(file) !== root) throw new Error(`${JSON.stringify(name)} is not inside ${root}`);
  return file;
}
