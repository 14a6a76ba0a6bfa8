// The console's Overview shows the recording state (GET /emulator/v1/recording): while recording, the
// counts and a stop button that stops it; while playing back, what the recording loaded. Driven in
// Chromium against a fresh build of the console.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { build } from "vite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startMockBackend } from "../../src/backend/server.js";
import { startEmulator } from "../../src/emulator/start.js";
import { generateBackendToken } from "../../src/node/backend-token.js";
import { getJson, signIn } from "../support/emulator.js";
import { launchChromium } from "./chromium.js";
import { repo } from "./console-fixture.js";

const TEST_TIMEOUT_MS = 120_000;
let browser: Browser;
let tmp: string;
let consoleDir: string;

beforeAll(async () => {
  browser = await launchChromium();
  tmp = await mkdtemp(join(tmpdir(), "galaxy-recording-"));
  consoleDir = join(tmp, "renderer");
  await build({ configFile: join(repo, "src/renderer/vite.config.ts"), logLevel: "warn", build: { outDir: consoleDir, sourcemap: false } });
}, TEST_TIMEOUT_MS);

afterAll(async () => {
  await browser?.close();
  await rm(tmp, { recursive: true, force: true });
});

const summary = '[data-testid="recording-summary"]';

describe("console: the recording state on the Overview", () => {
  it(
    "recording: counts and a working stop button; playing back: what the recording loaded",
    async () => {
      const token = generateBackendToken();
      const upstream = await startMockBackend({ token });
      const recordDir = join(tmp, "recording");
      const recording = await startEmulator({ port: 0, stateDir: join(tmp, "state-a"), consoleDir, backend: upstream.url, backendToken: token, record: { dir: recordDir } });
      try {
        await signIn(recording.url, "console@example.com");
        const page = await (await browser.newContext()).newPage();
        await page.goto(`${recording.url}/`);
        await page.locator(`${summary}[data-recording="true"]`).filter({ hasText: "2 sign-in calls" }).waitFor();
        expect(await page.textContent(summary)).toContain(`Recording into ${recordDir}`);
        await page.click('[data-testid="recording-stop"]');
        await page.locator(`${summary}[data-recording="false"]`).filter({ hasText: "Stopped (stopped)" }).waitFor();
        expect((await getJson(`${recording.url}/emulator/v1/recording`)).json.recording).toBe(false);
      } finally {
        await recording.close();
        await upstream.close();
      }

      const playback = await startEmulator({ port: 0, stateDir: join(tmp, "state-b"), consoleDir, playbackDir: recordDir });
      try {
        const page = await (await browser.newContext()).newPage();
        await page.goto(`${playback.url}/`);
        await page.locator(summary).filter({ hasText: `Playing back ${recordDir}` }).waitFor();
        expect(await page.textContent(summary)).toContain("1 users");
      } finally {
        await playback.close();
      }
    },
    TEST_TIMEOUT_MS,
  );
});
