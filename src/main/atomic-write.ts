// Crash-safe file replacement: a reader (or the next start after a crash or power loss) sees the
// old content or the new content, never a torn mix. Write a temp file in the same directory,
// fsync it, rename it over the target (atomic on POSIX and NTFS), then fsync the directory so the
// rename itself is durable.
import { randomBytes } from "node:crypto";
import * as nodeFs from "node:fs/promises";
import path from "node:path";

/** The fs/promises calls used, so tests can inject failures. */
export interface AtomicWriteFs {
  mkdir: typeof nodeFs.mkdir;
  open: typeof nodeFs.open;
  rename: typeof nodeFs.rename;
  rm: typeof nodeFs.rm;
}

export async function writeFileAtomic(
  file: string,
  data: string | Uint8Array,
  options: { mode?: number; fs?: AtomicWriteFs } = {},
): Promise<void> {
  const fs = options.fs ?? nodeFs;
  const dir = path.dirname(file);
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  const temp = path.join(dir, `.${path.basename(file)}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`);
  try {
    // "wx": never follow or clobber something already at the temp name.
    const handle = await fs.open(temp, "wx", options.mode ?? 0o600);
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(temp, file);
  } catch (error) {
    await fs.rm(temp, { force: true }).catch(() => {});
    throw error;
  }
  await syncDirectory(fs, dir);
}

async function syncDirectory(fs: AtomicWriteFs, dir: string): Promise<void> {
  // Windows cannot open a directory for fsync; the rename is already durable enough there.
  if (process.platform === "win32") return;
  const handle = await fs.open(dir, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
