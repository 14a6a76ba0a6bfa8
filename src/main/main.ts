// Electron main process: composition only. Embeds the emulator in-process, locks the session and
// the window down, and opens the console the gateway serves. Policy lives in the sibling modules.
import path from "node:path";
import { app, BrowserWindow, dialog, ipcMain, safeStorage, session, shell } from "electron";
import { startEmulator, type RunningEmulator } from "../emulator/start.js";
import { installConsoleCsp } from "./csp.js";
import { registerBridgeHandlers } from "./ipc.js";
import { createGracefulQuit, focusWindow } from "./lifecycle.js";
import { createNavigationGuard, installNavigationGuard } from "./navigation-guard.js";
import { consoleOriginOf } from "./origin.js";
import { denyAllPermissions } from "./permissions.js";
import { createDesktopStore } from "./secure-store.js";
import { consoleWindowOptions } from "./window-options.js";

const TITLE = "Galaxy Gateway Emulator";
const log = (message: string): void => console.warn(`[main] ${message}`);

// One app instance per userData: a second one would fight over the emulator state and the stores.
if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  run();
}

function run(): void {
  // Every renderer sandboxed, whatever a BrowserWindow asks for. Must precede `ready`.
  app.enableSandbox();

  let window: BrowserWindow | null = null;
  let emulator: Promise<RunningEmulator> | undefined;

  app.on("second-instance", () => focusWindow(window));
  app.on(
    "before-quit",
    createGracefulQuit({
      close: async () => {
        const running = await emulator?.catch(() => undefined);
        await running?.close();
      },
      exit: (code) => app.exit(code),
      log,
    }),
  );
  // The emulator lives as long as its window, on macOS too: no hidden listener left running.
  app.on("window-all-closed", () => app.quit());
  // The same stop signals as the headless CLI (scripts/start.mjs forwards all three to the app).
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(signal, () => app.quit());

  app
    .whenReady()
    .then(async () => {
      const appPath = app.getAppPath();
      const userData = app.getPath("userData");
      emulator = startEmulator({
        host: "127.0.0.1",
        port: 0,
        stateDir: path.join(userData, "emulator"),
        consoleDir: path.join(appPath, "dist", "renderer"),
      });
      const running = await emulator;
      const consoleOrigin = consoleOriginOf(running.url);

      installConsoleCsp(session.defaultSession.webRequest, consoleOrigin);
      denyAllPermissions(session.defaultSession, log);
      const guard = createNavigationGuard({ consoleOrigin, openExternal: (url) => shell.openExternal(url), log });
      app.on("web-contents-created", (_event, contents) => installNavigationGuard(contents, guard));
      registerBridgeHandlers(ipcMain, {
        consoleOrigin,
        store: createDesktopStore({ userDataDir: userData, safeStorage }),
      });

      const win = new BrowserWindow(
        consoleWindowOptions({ title: TITLE, preloadPath: path.join(appPath, "dist", "preload", "preload.cjs") }),
      );
      window = win;
      win.once("ready-to-show", () => win.show());
      win.on("closed", () => {
        window = null;
      });
      await win.loadURL(new URL("/", consoleOrigin).href);
    })
    .catch((error: unknown) => {
      const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
      log(`startup failed: ${message}`);
      dialog.showErrorBox(`${TITLE} could not start`, message);
      // Stop whatever did start; before-quit is bypassed by app.exit, so close here.
      void Promise.resolve(emulator)
        .then((running) => running?.close())
        .catch(() => {})
        .finally(() => app.exit(1));
    });
}
