// The mock backend in its own process (the bench's default layout): `startMockBackend` with persistence, exactly
// as the emulator runs it (src/emulator/start.ts keeps it under <stateDir>/mock-backend), on loopback.
// The gateway process (gateway-proc.ts) reaches it over loopback HTTP, as it would a real backend.
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { MockBackend } from "../src/backend/server.js";
import { processProbes, serveCommands } from "./proc.js";
import { importShipped } from "./shipped.js";

// The compiled build, as the gateway process (bench/shipped.ts).
const { startMockBackend } = await importShipped<typeof import("../src/backend/server.js")>("backend/server");
const { MOCK_STATE_SUBDIR } = await importShipped<typeof import("../src/emulator/start.js")>("emulator/start");
const { stateFilePath } = await importShipped<typeof import("../src/node/atomic-file.js")>("node/atomic-file");
const { generateBackendToken } = await importShipped<typeof import("../src/node/backend-token.js")>("node/backend-token");

let mock: MockBackend | undefined;
const stateDir = mkdtempSync(path.join(os.tmpdir(), "gge-bench-mock-"));

serveCommands(
  {
    async start() {
      // A token per start, handed to the gateway process by bench/run.ts, as startEmulator does in-process.
      const token = generateBackendToken();
      mock = await startMockBackend({ host: "127.0.0.1", port: 0, stateDir: stateFilePath(stateDir, MOCK_STATE_SUBDIR), token });
      return { url: mock.url, token, pid: process.pid };
    },
    ...processProbes(),
  },
  async () => {
    await mock?.close();
    rmSync(stateDir, { recursive: true, force: true });
  },
);
