// The run's temporary folder (test/support/temp-root.ts): what tests and the processes they start put
// under os.tmpdir() lands in one folder that the run removes when it ends, not loose in /tmp.
import { spawnSync } from "node:child_process";
import { existsSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect, test } from "vitest";
import { tempDir } from "./support/emulator.js";
import setup, { RUN_TEMP_PREFIX } from "./support/temp-root.js";

test("this run's tests and the processes they start make their temporary folders in the run's own folder", () => {
  expect(path.basename(os.tmpdir()).startsWith(RUN_TEMP_PREFIX)).toBe(true);
  const child = spawnSync(process.execPath, ["-e", "process.stdout.write(require('node:os').tmpdir())"], { encoding: "utf8" });
  expect(child.status).toBe(0);
  expect(path.basename(child.stdout).startsWith(RUN_TEMP_PREFIX)).toBe(true);
});

test("the run's folder is removed at the end, with what tests left in it, and TMPDIR is as it was", () => {
  const before = process.env.TMPDIR;
  const teardown = setup();
  const root = process.env.TMPDIR!;
  try {
    expect(root).not.toBe(before);
    expect(path.basename(root).startsWith(RUN_TEMP_PREFIX)).toBe(true);
    expect(statSync(root).isDirectory()).toBe(true);
    writeFileSync(path.join(tempDir(), "left-behind.json"), "{}");
  } finally {
    teardown();
  }
  expect(existsSync(root)).toBe(false);
  expect(process.env.TMPDIR).toBe(before);
});
