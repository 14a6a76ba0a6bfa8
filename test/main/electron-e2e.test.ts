// The packaged-app path for real: launches Electron on this repo (after `npm run build`) through
// playwright-core, checks the console window and its security settings, then runs the same console
// walk as the Chromium e2e test (test/e2e/walk.ts) in the app's window, against the emulator the app
// embeds. Needs an Electron binary and a display; without them it says so on one line and skips (what
// is then still checked without a binary: README, "Tests").
import assert from "node:assert";
import * as fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { ElectronApplication, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findElectronBinary } from "../../scripts/electron-binary.mjs";
import { attachConsole, CONSOLE_WALK, reloadKeepsState, type WalkContext, type WalkState } from "../e2e/walk.js";

const projectDir = fileURLToPath(new URL("../..", import.meta.url));
const shotsDir = path.join(projectDir, "test-results");
const electron = findElectronBinary({ projectDir });
const noDisplay = process.platform === "linux" && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY;
const skipReason = !electron.found
  ? `no Electron binary installed (${electron.reason})`
  : noDisplay
    ? "no display (run under xvfb-run)"
    : null;
if (skipReason) console.log(`electron e2e skipped: ${skipReason}; main.ts is still checked against a substituted electron module (test/main)`);
const T = 60_000;

let app: ElectronApplication | undefined;
let userData: string | undefined;
let page: Page;
let ctx: WalkContext;
const state: WalkState = {};

describe.skipIf(skipReason !== null)("Electron app", () => {
  beforeAll(async () => {
    assert(electron.found); // skipReason is null
    expect(fs.existsSync(path.join(projectDir, "dist/node/main/main.js")), "run `npm run build` first").toBe(true);
    fs.mkdirSync(shotsDir, { recursive: true });
    const { _electron } = await import("playwright-core");
    userData = fs.mkdtempSync(path.join(os.tmpdir(), "galaxy-e2e-"));
    const args = [".", `--user-data-dir=${userData}`];
    // Chromium refuses to run as root with its setuid/namespace sandbox (CI containers); the
    // renderer sandbox flag checked below is still Electron's.
    if (process.getuid?.() === 0) args.push("--no-sandbox");
    app = await _electron.launch({ executablePath: electron.executablePath, args, cwd: projectDir, timeout: 60_000, acceptDownloads: true });
    page = await app.firstWindow();
    // The app started its own emulator: the walk finds it through the window's URL.
    ctx = await attachConsole(page, { shotsDir, shotPrefix: "electron" });
  }, 90_000);

  afterAll(async () => {
    await app?.close();
    if (userData) fs.rmSync(userData, { recursive: true, force: true });
  });

  it("opens the console in a locked-down window", async () => {
    const electronApp = app!;
    const consoleUrl = new URL(page.url());
    expect(consoleUrl.protocol).toBe("http:");
    expect(consoleUrl.hostname).toBe("127.0.0.1");
    expect(consoleUrl.pathname).toBe("/");
    expect(consoleUrl.origin).toBe(ctx.gatewayOrigin);
    expect(await electronApp.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows().length)).toBe(1);

    // The preferences Electron applied, as it reports them back (getLastWebPreferences is not in
    // Electron's typings: if it goes away, this throws). It reports these keys only, not navigateOnDragDrop
    // or spellcheck, which main.ts also sets (window-options.test.ts, main-composition.test.ts).
    const prefs = await electronApp.evaluate(({ BrowserWindow }) => {
      const contents = BrowserWindow.getAllWindows()[0]!.webContents as unknown as { getLastWebPreferences(): unknown };
      return contents.getLastWebPreferences();
    });
    expect(prefs).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      webviewTag: false,
    });

    // What the page can actually reach: the bridge, and no Node or IPC primitives.
    const inPage = await page.evaluate(() => {
      const g = globalThis as Record<string, any>;
      return {
        require: typeof g.require,
        process: typeof g.process,
        host: g.galaxyDesktop?.host,
        keys: Object.keys(g.galaxyDesktop ?? {}).sort(),
      };
    });
    expect(inPage).toEqual({
      require: "undefined",
      process: "undefined",
      host: "electron",
      keys: ["host", "loadDevices", "loadPreferences", "saveDevices", "savePreferences"],
    });
    // The bridge answers over IPC (the console may already have saved its first preferences).
    const storedPrefs: unknown = await page.evaluate(() => (globalThis as any).galaxyDesktop.loadPreferences());
    expect(storedPrefs !== null && typeof storedPrefs === "object" && !Array.isArray(storedPrefs)).toBe(true);

    // The CSP is injected on the console's responses.
    const csp = await page.evaluate(async () => (await fetch(location.href)).headers.get("content-security-policy"));
    expect(csp).toContain("object-src 'none'");

    // Leaving the console origin is blocked: the navigation guard logs its refusal in the main process
    // (will-frame-navigate comes first, will-navigate after it), and the page stays where it was.
    const refused = electronApp.waitForEvent("console", (m) => /blocked (frame )?navigation to https:\/\/example\.invalid\//.test(m.text()));
    await page.evaluate(() => {
      (globalThis as Record<string, unknown>).beforeLeaving = true;
      location.href = "https://example.invalid/";
    });
    await refused;
    expect(new URL(page.url()).origin).toBe(consoleUrl.origin);
    expect(await page.evaluate(() => (globalThis as Record<string, unknown>).beforeLeaving)).toBe(true); // the same document
  }, T);

  // The same walk as the Chromium test, step by step, in the app's own window.
  for (const step of CONSOLE_WALK) {
    it(step.name, () => step.run(ctx, state), T);
  }

  it("a reload keeps the tab, and the devices where safeStorage has a real OS key", async () => {
    // On Linux without a secret service safeStorage falls back to basic_text, which the app refuses
    // (src/main/secure-store.ts): then the console must say so, and nothing is kept.
    const devicesPersist = await app!.evaluate(
      ({ safeStorage }) =>
        safeStorage.isEncryptionAvailable() && !(process.platform === "linux" && safeStorage.getSelectedStorageBackend() === "basic_text"),
    );
    await reloadKeepsState(ctx, { devicesPersist });
  }, T);
});
