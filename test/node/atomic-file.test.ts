// The one crash-safe writer (src/node/atomic-file.ts), used by the gateway key, the mock backend's
// state, the CLI's backend token and the Electron main process's store.
import * as fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { removeStaleTempFiles, writeFileAtomic, type AtomicWriteFs } from "../../src/node/atomic-file.js";

let dir: string;
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "atomic-write-"));
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

/** Real fs, recording each step and failing the named one; `windowsDirs`: opening a folder fails as on Windows. */
function recordingFs(failAt?: "write" | "sync" | "rename", windowsDirs = false) {
  const steps: string[] = [];
  const fail = (step: string) => {
    steps.push(step);
    if (step === failAt) throw new Error(`injected ${step} failure`);
  };
  const wrapped: AtomicWriteFs = {
    mkdir: fs.mkdir,
    rm: fs.rm,
    open: (async (file: string, flags: string, mode?: number) => {
      if (windowsDirs && flags === "r") throw Object.assign(new Error(`EISDIR: illegal operation on a directory, open '${file}'`), { code: "EISDIR" });
      const handle = await fs.open(file, flags, mode);
      const kind = flags === "r" ? "dir" : "temp";
      steps.push(`open ${kind}`);
      return {
        writeFile: async (data: string | Uint8Array) => (fail("write"), handle.writeFile(data)),
        sync: async () => (fail(`sync ${kind}`.replace("sync temp", "sync")), handle.sync()),
        close: async () => (steps.push(`close ${kind}`), handle.close()),
      };
    }) as unknown as AtomicWriteFs["open"],
    rename: (async (from: string, to: string) => (fail("rename"), fs.rename(from, to))) as AtomicWriteFs["rename"],
  };
  return { fs: wrapped, steps };
}

describe("writeFileAtomic", () => {
  it("writes, fsyncs, renames, then fsyncs the directory — and leaves no temp file", async () => {
    const file = path.join(dir, "sub", "state.json");
    const { fs: recorded, steps } = recordingFs();
    await writeFileAtomic(file, "new", { fs: recorded });
    expect(await fs.readFile(file, "utf8")).toBe("new");
    expect(steps).toEqual(["open temp", "write", "sync", "close temp", "rename", "open dir", "sync dir", "close dir"]);
    expect(await fs.readdir(path.dirname(file))).toEqual(["state.json"]);
  });

  it("on Windows, where a folder cannot be opened, writes without the folder fsync (the rename is what NTFS journals)", async () => {
    const file = path.join(dir, "gateway-key.json");
    const { fs: windows, steps } = recordingFs(undefined, true);
    await writeFileAtomic(file, "key", { fs: windows, platform: "win32" });
    expect(await fs.readFile(file, "utf8")).toBe("key");
    expect(steps).toEqual(["open temp", "write", "sync", "close temp", "rename"]);
  });

  it("names its temp file so that removeStaleTempFiles finds what a killed writer left", async () => {
    const file = path.join(dir, "state.json");
    const { fs: failing } = recordingFs("rename");
    const kept: string[] = [];
    // A writer killed after the fsync and before the rename: the temp file stays (rm is not reached).
    await expect(writeFileAtomic(file, "new", { fs: { ...failing, rm: (async (p: string) => void kept.push(p)) as AtomicWriteFs["rm"] } })).rejects.toThrow();
    expect(kept).toHaveLength(1);
    expect(await fs.readdir(dir)).toEqual([path.basename(kept[0]!)]);
    await removeStaleTempFiles(file);
    expect(await fs.readdir(dir)).toEqual([]);
  });

  it.skipIf(process.platform === "win32")("creates the file owner-only", async () => {
    const file = path.join(dir, "secret.bin");
    await writeFileAtomic(file, new Uint8Array([1, 2, 3]));
    expect((await fs.stat(file)).mode & 0o777).toBe(0o600);
    expect([...(await fs.readFile(file))]).toEqual([1, 2, 3]);
  });

  it("replaces existing content", async () => {
    const file = path.join(dir, "f");
    await writeFileAtomic(file, "one");
    await writeFileAtomic(file, "two");
    expect(await fs.readFile(file, "utf8")).toBe("two");
  });

  for (const failAt of ["write", "sync", "rename"] as const) {
    it(`keeps the old content and cleans up when ${failAt} fails`, async () => {
      const file = path.join(dir, "f");
      await fs.writeFile(file, "old");
      const { fs: failing } = recordingFs(failAt);
      await expect(writeFileAtomic(file, "new content", { fs: failing })).rejects.toThrow(`injected ${failAt}`);
      expect(await fs.readFile(file, "utf8")).toBe("old");
      expect(await fs.readdir(dir)).toEqual(["f"]);
    });
  }
});
