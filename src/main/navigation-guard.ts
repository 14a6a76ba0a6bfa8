// Keeps every webContents on the console origin: no navigation or redirect elsewhere, of the main
// frame or of any subframe, no new windows (https links go to the user's browser instead), no
// <webview> guests.
import { isConsoleUrl } from "./origin.js";

export interface PreventableEvent {
  preventDefault(): void;
}

/** Electron ≥ 25 passes the target on the event; the positional url is its deprecated twin. */
export interface NavigationEvent extends PreventableEvent {
  url?: string;
}

export interface NavigationGuardOptions {
  consoleOrigin: string;
  /** `shell.openExternal`. */
  openExternal: (url: string) => Promise<void> | void;
  log?: (message: string) => void;
}

export interface NavigationGuard {
  onWillNavigate(event: NavigationEvent, url?: string): void;
  onWillRedirect(event: NavigationEvent, url?: string): void;
  /** Any frame, main or sub: `will-navigate` fires for the main frame only. */
  onWillFrameNavigate(event: NavigationEvent): void;
  onWillAttachWebview(event: PreventableEvent): void;
  windowOpenHandler(details: { url: string }): { action: "deny" };
}

export function createNavigationGuard(options: NavigationGuardOptions): NavigationGuard {
  const log = options.log ?? (() => {});
  const keepOnConsole = (kind: string) => (event: NavigationEvent, url?: string) => {
    const target = event.url ?? url ?? "";
    if (isConsoleUrl(target, options.consoleOrigin)) return;
    event.preventDefault();
    log(`blocked ${kind} to ${target}`);
  };
  return {
    onWillNavigate: keepOnConsole("navigation"),
    onWillRedirect: keepOnConsole("redirect"),
    onWillFrameNavigate: keepOnConsole("frame navigation"),
    onWillAttachWebview(event) {
      event.preventDefault();
      log("blocked <webview> attach");
    },
    windowOpenHandler({ url }) {
      // Only https leaves the app, and only through the OS browser; plain http (which could be
      // another loopback service) and every other scheme (file:, custom handlers) are dropped.
      if (isHttpsUrl(url)) {
        void Promise.resolve()
          .then(() => options.openExternal(url))
          .catch((error: unknown) => log(`openExternal failed for ${url}: ${String(error)}`));
      } else {
        log(`blocked window.open of ${url}`);
      }
      return { action: "deny" };
    },
  };
}

function isHttpsUrl(url: string): boolean {
  try {
    return new URL(url).protocol === "https:";
  } catch {
    return false;
  }
}

/** The slice of WebContents the guard hooks (Electron's WebContents satisfies it). */
export interface GuardableContents {
  on(event: "will-navigate", listener: (event: NavigationEvent, url: string) => void): unknown;
  on(event: "will-redirect", listener: (event: NavigationEvent, url: string) => void): unknown;
  on(event: "will-frame-navigate", listener: (event: NavigationEvent) => void): unknown;
  on(event: "will-attach-webview", listener: (event: PreventableEvent) => void): unknown;
  setWindowOpenHandler(handler: (details: { url: string }) => { action: "deny" }): void;
}

export function installNavigationGuard(contents: GuardableContents, guard: NavigationGuard): void {
  contents.on("will-navigate", (event, url) => guard.onWillNavigate(event, url));
  contents.on("will-redirect", (event, url) => guard.onWillRedirect(event, url));
  contents.on("will-frame-navigate", (event) => guard.onWillFrameNavigate(event));
  contents.on("will-attach-webview", (event) => guard.onWillAttachWebview(event));
  contents.setWindowOpenHandler((details) => guard.windowOpenHandler(details));
}
