// vitest globalSetup: one temporary folder for the whole run, removed when the run ends. Tests and the
// processes they start make their scratch folders under os.tmpdir(), which reads TMPDIR; pointing it
// here keeps a run from leaving its folders in the machine's /tmp. Before, each run left ~200 (emulator
// state dirs, CLI and hardening scratch): 8,000 had piled up on the development machine.
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";

export const RUN_TEMP_PREFIX = "gge-test-run-";

export default function setup(): () => void {
  const root = mkdtempSync(path.join(os.tmpdir(), RUN_TEMP_PREFIX));
  const previous = process.env.TMPDIR;
  process.env.TMPDIR = root;
  return () => {
    if (previous === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previous;
    rmSync(root, { recursive: true, force: true, maxRetries: 3 });
  };
}
