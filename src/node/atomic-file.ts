// Node-only helpers shared by the gateway and the mock backend (neither imports the other).
// Crash-safe file replacement: write a temp file beside the target, fsync it, rename it over the
// target, fsync the folder. A kill -9 at any point leaves either the old or the new content, never a
// torn file; at worst a stale `.<name>.<random>.tmp` stays behind (removeStaleTempFiles cleans up).
import { randomBytes } from "node:crypto";
import { open, readdir, rename, rm } from "node:fs/promises";
import path from "node:path";

export async function writeFileAtomic(target: string, data: string | Uint8Array, mode = 0o600): Promise<void> {
  const temp = path.join(path.dirname(target), `.${path.basename(target)}.${randomBytes(6).toString("hex")}.tmp`);
  const file = await open(temp, "w", mode);
  try {
    await file.writeFile(data);
    await file.sync();
  } finally {
    await file.close();
  }
  try {
    await rename(temp, target);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
  const dir = await open(path.dirname(target), "r");
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}

/** Removes temp files a killed writer of `target` left behind (call before the first write). */
export async function removeStaleTempFiles(target: string): Promise<void> {
  const prefix = `.${path.basename(target)}.`;
  const dir = path.dirname(target);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return;
  }
  await Promise.all(
    names.filter((n) => n.startsWith(prefix) && /^[0-9a-f]{12}\.tmp$/.test(n.slice(prefix.length))).map((n) => rm(path.join(dir, n), { force: true })),
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
