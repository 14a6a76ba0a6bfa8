// The system under test in its own process: the mock backend and the gateway, composed exactly as
// `npm run emulator` does (src/emulator/start.ts), on loopback. Run with --cpu-prof to profile.
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { startEmulator, type RunningEmulator } from "../src/emulator/start.js";
import { serveCommands } from "./proc.js";

let emulator: RunningEmulator | undefined;
const stateDir = mkdtempSync(path.join(os.tmpdir(), "gge-bench-"));

serveCommands(
  {
    async start() {
      emulator = await startEmulator({ port: 0, stateDir, onPushError: () => {} });
      return { url: emulator.url, pid: process.pid };
    },
    stats() {
      const m = process.memoryUsage();
      return { rss: m.rss, heap_used: m.heapUsed };
    },
  },
  async () => {
    await emulator?.close();
    rmSync(stateDir, { recursive: true, force: true });
  },
);
