// A test-owned emulator serving a fresh build of the console, and fresh browser pages on it (each its
// own context: its own IndexedDB, so its own devices). Shared by the console's focused e2e files
// (console-fixes, console-layout); the walk (console.test.ts) keeps its own setup.
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Browser, Page } from "playwright-core";
import { build } from "vite";
import { startEmulator, type RunningEmulator } from "../../src/emulator/start.js";
import { launchChromium } from "./chromium.js";
import { attachConsole, type WalkContext } from "./walk.js";

export const repo = fileURLToPath(new URL("../../", import.meta.url));
export const shotsDir = join(repo, "test-results");

export interface ConsoleFixture {
  browser: Browser;
  emulator: RunningEmulator;
  tmp: string;
  consoleDir: string;
  /** A new page (new context) on the console, at this viewport width. */
  open(options?: { width?: number; shotPrefix?: string }): Promise<WalkContext>;
  /** The control plane at the emulator's origin: PATCH /emulator/v1/config and friends. */
  control(method: string, path: string, body?: unknown): Promise<{ status: number; json: any }>;
  close(): Promise<void>;
}

export async function startConsoleFixture(name: string): Promise<ConsoleFixture> {
  const browser = await launchChromium(); // first: without Chromium, fail before the build
  const tmp = await mkdtemp(join(tmpdir(), `galaxy-${name}-`));
  await mkdir(shotsDir, { recursive: true });
  const consoleDir = join(tmp, "renderer");
  // A fresh build of the current sources, in a private directory (dist/ is shared with other runs).
  await build({ configFile: join(repo, "src/renderer/vite.config.ts"), logLevel: "warn", build: { outDir: consoleDir, sourcemap: false } });
  const emulator = await startEmulator({ port: 0, stateDir: join(tmp, "state"), consoleDir });
  const control: ConsoleFixture["control"] = async (method, path, body) => {
    const res = await fetch(`${emulator.url}${path}`, {
      method,
      ...(body !== undefined ? { headers: { "content-type": "application/json" }, body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, json: text ? JSON.parse(text) : undefined };
  };
  // Every page signs in from 127.0.0.1: raise the per-IP budget of the public auth calls.
  await control("PATCH", "/emulator/v1/config", { public_rate_limits: { per_ip: { rate_per_s: 1000, burst: 10_000 } } });
  const fixture: ConsoleFixture = {
    browser,
    emulator,
    tmp,
    consoleDir,
    control,
    async open({ width = 1280, shotPrefix = name } = {}) {
      const context = await browser.newContext({ viewport: { width, height: 900 }, acceptDownloads: true });
      const page: Page = await context.newPage();
      await page.goto(`${fixture.emulator.url}/`);
      return attachConsole(page, { shotsDir, shotPrefix });
    },
    async close() {
      await browser.close();
      await fixture.emulator.close();
      await rm(tmp, { recursive: true, force: true });
    },
  };
  return fixture;
}
