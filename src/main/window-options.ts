// BrowserWindow options for the console window. The renderer is a web page served by the local
// gateway: it gets no Node, an isolated preload world, the OS sandbox and Chromium's web security.
import path from "node:path";
import type { BrowserWindowConstructorOptions, WebPreferences } from "electron";

export function secureWebPreferences(preloadPath: string): WebPreferences {
  // Electron resolves a relative preload against the cwd, which is not the app in packaged builds.
  if (!path.isAbsolute(preloadPath)) throw new Error(`preload path must be absolute: ${preloadPath}`);
  return {
    preload: preloadPath,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    experimentalFeatures: false,
    webviewTag: false,
    navigateOnDragDrop: false,
    spellcheck: false,
  };
}

export function consoleWindowOptions(options: { preloadPath: string; title: string }): BrowserWindowConstructorOptions {
  return {
    title: options.title,
    width: 1280,
    height: 860,
    minWidth: 720,
    minHeight: 480,
    // Shown on `ready-to-show` so the user never sees a blank white frame.
    show: false,
    webPreferences: secureWebPreferences(options.preloadPath),
  };
}
