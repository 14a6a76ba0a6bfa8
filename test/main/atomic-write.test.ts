import * as fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { writeFileAtomic, type AtomicWriteFs } from "../../src/main/atomic-write.js";

let dir: string;
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "atomic-write-"));
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

/** Real fs, recording each step and failing the named one. */
function recordingFs(failAt?: "write" | "sync" | "rename") {
  const steps: string[] = [];
  const fail = (step: string) => {
    steps.push(step);
    if (step === failAt) throw new Error(`injected ${step} failure`);
  };
  const wrapped: AtomicWriteFs = {
    mkdir: fs.mkdir,
    rm: fs.rm,
    open: (async (file: string, flags: string, mode?: number) => {
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
