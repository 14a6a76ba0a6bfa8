// The system under test in its own process. The bench's default layout
// (`start({ mockBackendUrl, mockBackendToken })`): the gateway alone, composed as startEmulator composes it,
// with the backend setting "mock" resolving to a mock backend running in another process (mock-proc.ts).
// `start()` (`--mock-in-process`): the mock backend and the gateway together, composed exactly as
// `npm run emulator` does (src/emulator/start.ts), on loopback; with `start({ redis })` in cluster mode
// (bench/redis.ts).
// Both come from the compiled build (bench/shipped.ts). Run with --cpu-prof to profile.
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { processProbes, serveCommands } from "./proc.js";
import { importShipped } from "./shipped.js";

const { startGateway } = await importShipped<typeof import("../src/gateway/gateway.js")>("gateway/gateway");
const { startEmulator } = await importShipped<typeof import("../src/emulator/start.js")>("emulator/start");

let running: { url: string; close(): Promise<void> } | undefined;
const stateDir = mkdtempSync(path.join(os.tmpdir(), "gge-bench-"));

serveCommands(
  {
    async start(args?: { mockBackendUrl?: string; mockBackendToken?: string; redis?: string }) {
      running = args?.mockBackendUrl
        ? await startGateway({
            port: 0,
            stateDir,
            mockBackendUrl: args.mockBackendUrl,
            mockBackendToken: args.mockBackendToken,
            config: { backend: "mock" },
            onPushError: () => {},
          })
        : await startEmulator({ port: 0, stateDir, onPushError: () => {}, redis: args?.redis });
      return { url: running.url, pid: process.pid };
    },
    ...processProbes(),
  },
  async () => {
    await running?.close();
    rmSync(stateDir, { recursive: true, force: true });
  },
);
