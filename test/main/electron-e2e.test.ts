// The packaged-app path for real: launches Electron on this repo (after `npm run build`) through
// playwright-core and checks the console window and its security settings. Needs an Electron
// binary; where none is installed it says so on one line and skips.
import * as fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { findElectronBinary } from "../../scripts/electron-binary.mjs";

const projectDir = fileURLToPath(new URL("../..", import.meta.url));
const electron = findElectronBinary({ projectDir });
const noDisplay = process.platform === "linux" && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY;
const skipReason = !electron.found
  ? `no Electron binary installed (${electron.reason})`
  : noDisplay
    ? "no display (run under xvfb-run)"
    : null;
if (skipReason) console.log(`electron e2e skipped: ${skipReason}`);

describe("Electron app", () => {
  it.skipIf(skipReason !== null)("opens the console in a locked-down window", { timeout: 90_000 }, async () => {
    if (!electron.found) return;
    expect(fs.existsSync(path.join(projectDir, "dist/node/main/main.js")), "run `npm run build` first").toBe(true);
    const { _electron } = await import("playwright-core");
    const userData = fs.mkdtempSync(path.join(os.tmpdir(), "galaxy-e2e-"));
    const args = [".", `--user-data-dir=${userData}`];
    // Chromium refuses to run as root with its setuid/namespace sandbox (CI containers); the
    // renderer sandbox flag checked below is still Electron's.
    if (process.getuid?.() === 0) args.push("--no-sandbox");
    const app = await _electron.launch({ executablePath: electron.executablePath, args, cwd: projectDir, timeout: 60_000 });
    try {
      const page = await app.firstWindow();
      await page.waitForLoadState("domcontentloaded");
      const consoleUrl = new URL(page.url());
      expect(consoleUrl.protocol).toBe("http:");
      expect(consoleUrl.hostname).toBe("127.0.0.1");
      expect(consoleUrl.pathname).toBe("/");
      expect(await app.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows().length)).toBe(1);

      const prefs = await app.evaluate(({ BrowserWindow }) => {
        const contents = BrowserWindow.getAllWindows()[0]!.webContents as unknown as { getLastWebPreferences?: () => unknown };
        return contents.getLastWebPreferences?.() ?? null;
      });
      if (prefs) {
        expect(prefs).toMatchObject({
          contextIsolation: true,
          sandbox: true,
          nodeIntegration: false,
          webSecurity: true,
          allowRunningInsecureContent: false,
          experimentalFeatures: false,
          webviewTag: false,
          navigateOnDragDrop: false,
          spellcheck: false,
        });
      }

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
      expect(await page.evaluate(() => (globalThis as any).galaxyDesktop.loadPreferences())).toEqual({});

      // The CSP is injected on the console's responses.
      const csp = await page.evaluate(async () => (await fetch(location.href)).headers.get("content-security-policy"));
      expect(csp).toContain("object-src 'none'");

      // Leaving the console origin is blocked.
      await page.evaluate(() => {
        location.href = "https://example.invalid/";
      }).catch(() => {});
      await page.waitForTimeout(500);
      expect(new URL(page.url()).origin).toBe(consoleUrl.origin);
    } finally {
      await app.close();
      fs.rmSync(userData, { recursive: true, force: true });
    }
  });
});
