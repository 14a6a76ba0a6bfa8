// Electron's security checklist (https://www.electronjs.org/docs/latest/tutorial/security), one `it`
// per applicable item, asserted on the app as main.ts composes it: main.ts and the preload run
// against a substituted `electron` module and a fake emulator (no Electron binary needed), and each
// item is checked on what they actually installed — the window's webPreferences, the session's
// hooks, the guard every webContents gets, the IPC handlers — not only on the policy modules alone
// (those have their own tests: window-options, csp, navigation-guard, permissions, ipc, secure-store,
// preload). The packaged binary's fuses are checked in electron-builder.yml.
import { EventEmitter } from "node:events";
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { BRIDGE_GLOBAL, IPC_CHANNELS, type DesktopBridge } from "../../src/shared/bridge.js";
import { device, fakeSafeStorage } from "./fixtures.js";

const repo = fileURLToPath(new URL("../..", import.meta.url));
const EMULATOR_URL = "http://127.0.0.1:4321";
const ORIGIN = new URL(EMULATOR_URL).origin;

type Listener = (...args: any[]) => any;

const h = vi.hoisted(() => {
  const state = {
    lock: true,
    calls: [] as string[],
    appListeners: new Map<string, Array<(...args: any[]) => any>>(),
    windows: [] as Array<{ options: any; loaded: string[] }>,
    handles: new Map<string, (...args: any[]) => Promise<unknown>>(),
    headersListener: undefined as undefined | ((...args: any[]) => void),
    permissionRequest: undefined as undefined | ((...args: any[]) => void),
    permissionCheck: undefined as undefined | ((...args: any[]) => boolean),
    devicePermission: undefined as undefined | ((...args: any[]) => boolean),
    openExternal: [] as string[],
    exposed: [] as Array<[string, unknown]>,
    invoked: [] as unknown[][],
    emulatorOptions: [] as any[],
    safeStorage: undefined as any,
    /** app.getPath's answers live here: a save that is not refused writes real files. */
    pathsDir: "",
    loaded: undefined as undefined | Promise<void>,
    markLoaded: () => {},
  };
  return state;
});

vi.mock("electron", () => {
  class BrowserWindow {
    loaded: string[] = [];
    webContents = { id: 1 };
    constructor(public options: unknown) {
      h.calls.push("new BrowserWindow");
      h.windows.push(this);
    }
    once() {}
    on() {}
    show() {}
    async loadURL(url: string) {
      h.calls.push(`loadURL ${url}`);
      this.loaded.push(url);
      h.markLoaded();
    }
  }
  return {
    app: {
      requestSingleInstanceLock: () => (h.calls.push("requestSingleInstanceLock"), h.lock),
      enableSandbox: () => h.calls.push("enableSandbox"),
      on: (name: string, listener: Listener) => {
        h.calls.push(`app.on ${name}`);
        h.appListeners.set(name, [...(h.appListeners.get(name) ?? []), listener]);
      },
      whenReady: async () => {
        h.calls.push("whenReady");
      },
      getAppPath: () => "/app",
      getPath: (name: string) => `${h.pathsDir}/${name}`,
      quit: () => h.calls.push("quit"),
      exit: (code: number) => h.calls.push(`exit ${code}`),
    },
    BrowserWindow,
    dialog: { showErrorBox: (title: string) => h.calls.push(`errorBox ${title}`) },
    ipcMain: {
      handle: (channel: string, listener: (...args: any[]) => Promise<unknown>) => {
        h.calls.push(`ipc ${channel}`);
        h.handles.set(channel, listener);
      },
    },
    // Delegates to the fake each test picks (fixtures.ts fakeSafeStorage).
    safeStorage: {
      isEncryptionAvailable: () => h.safeStorage.isEncryptionAvailable(),
      getSelectedStorageBackend: () => h.safeStorage.getSelectedStorageBackend(),
      encryptString: (text: string) => h.safeStorage.encryptString(text),
      decryptString: (data: Buffer) => h.safeStorage.decryptString(data),
    },
    session: {
      defaultSession: {
        webRequest: {
          onHeadersReceived: (listener: Listener) => {
            h.calls.push("csp");
            h.headersListener = listener;
          },
        },
        setPermissionRequestHandler: (handler: Listener) => {
          h.calls.push("permission request handler");
          h.permissionRequest = handler;
        },
        setPermissionCheckHandler: (handler: Listener) => {
          h.calls.push("permission check handler");
          h.permissionCheck = handler;
        },
        setDevicePermissionHandler: (handler: Listener) => {
          h.devicePermission = handler;
        },
      },
    },
    shell: {
      openExternal: async (url: string) => {
        h.openExternal.push(url);
      },
    },
    // What the preload uses.
    contextBridge: { exposeInMainWorld: (key: string, api: unknown) => h.exposed.push([key, api]) },
    ipcRenderer: {
      invoke: async (...args: unknown[]) => {
        h.invoked.push(args);
        return undefined;
      },
    },
  };
});

vi.mock("../../src/emulator/start.js", () => ({
  startEmulator: async (options: unknown) => {
    h.calls.push("startEmulator");
    h.emulatorOptions.push(options);
    return { url: "http://127.0.0.1:4321", close: async () => {} };
  },
}));

const SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;
let signalListeners: Record<(typeof SIGNALS)[number], Function[]>;
/** What main.ts logged (console.warn), kept out of the test output. */
let warnings: string[];

beforeEach(() => {
  vi.resetModules();
  h.lock = true;
  h.calls = [];
  h.appListeners = new Map();
  h.windows = [];
  h.handles = new Map();
  h.headersListener = h.permissionRequest = h.permissionCheck = h.devicePermission = undefined;
  h.openExternal = [];
  h.exposed = [];
  h.invoked = [];
  h.emulatorOptions = [];
  h.safeStorage = fakeSafeStorage();
  h.pathsDir = mkdtempSync(path.join(os.tmpdir(), "gge-checklist-"));
  h.loaded = new Promise<void>((resolve) => (h.markLoaded = resolve));
  signalListeners = { SIGINT: process.listeners("SIGINT"), SIGTERM: process.listeners("SIGTERM"), SIGHUP: process.listeners("SIGHUP") };
  warnings = [];
  vi.spyOn(console, "warn").mockImplementation((...args: unknown[]) => void warnings.push(args.join(" ")));
});

afterEach(() => {
  vi.restoreAllMocks();
  rmSync(h.pathsDir, { recursive: true, force: true });
  // main.ts hooks SIGINT/SIGTERM/SIGHUP on this (test) process: unhook what it added.
  for (const signal of SIGNALS) {
    for (const l of process.listeners(signal)) if (!signalListeners[signal].includes(l)) process.off(signal, l as any);
  }
});

/** Runs main.ts until the console window has loaded. */
async function startApp(): Promise<void> {
  await import("../../src/main/main.js");
  await h.loaded;
}

function webPreferences(): Record<string, unknown> {
  expect(h.windows).toHaveLength(1);
  return h.windows[0]!.options.webPreferences as Record<string, unknown>;
}

/** A webContents as the app sees it on `web-contents-created` (the console window, or any other). */
function createContents() {
  const emitter = new EventEmitter();
  let windowOpenHandler: ((details: { url: string }) => { action: string }) | undefined;
  const contents = {
    on: (name: string, listener: Listener) => emitter.on(name, listener),
    setWindowOpenHandler: (handler: typeof windowOpenHandler) => (windowOpenHandler = handler),
  };
  for (const listener of h.appListeners.get("web-contents-created") ?? []) listener({}, contents);
  const preventable = (url?: string) => ({ url, prevented: false, preventDefault() { this.prevented = true; } });
  return {
    /** Emits a navigation-like event; true when the app prevented it. */
    emit(name: "will-navigate" | "will-redirect" | "will-attach-webview", url?: string, ...rest: unknown[]): boolean {
      const event = preventable(url);
      emitter.emit(name, event, url, ...rest);
      return event.prevented;
    },
    /** Emits will-frame-navigate as Electron does (the event alone); true when the app prevented it. */
    emitFrameNavigation(url: string, isMainFrame: boolean): boolean {
      const event = { ...preventable(url), isMainFrame };
      emitter.emit("will-frame-navigate", event);
      return event.prevented;
    },
    listenerCount: (name: string) => emitter.listenerCount(name),
    open: (url: string) => windowOpenHandler?.({ url }),
    hasWindowOpenHandler: () => windowOpenHandler !== undefined,
  };
}

/**
 * Every URL the app handed to shell.openExternal in reaction to what the test did so far. The guard
 * calls openExternal from a promise callback, so "nothing was opened" is only known once a later
 * call has arrived: this opens one more https link (always allowed) and waits for it, then returns
 * what came before it.
 */
async function openedExternally(contents: ReturnType<typeof createContents>): Promise<string[]> {
  const sentinel = `https://example.com/sentinel-${h.openExternal.length}`;
  contents.open(sentinel);
  await vi.waitFor(() => expect(h.openExternal).toContain(sentinel));
  return h.openExternal.splice(0).filter((url) => url !== sentinel);
}

const mainFrame = (url: string) => ({ senderFrame: { url, parent: null } });
const before = (a: string, b: string) => {
  const i = h.calls.indexOf(a);
  const j = h.calls.findIndex((c) => c === b || c.startsWith(`${b} `));
  expect(i, `${a} happened`).toBeGreaterThanOrEqual(0);
  expect(j, `${b} happened`).toBeGreaterThanOrEqual(0);
  expect(i, `${a} before ${b}`).toBeLessThan(j);
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return sourceFiles(full);
    return /\.(ts|tsx|mts|cts|js|mjs|cjs)$/.test(name) ? [full] : [];
  });
}

describe("Electron security checklist", () => {
  it("single instance lock: a second instance quits before touching anything", async () => {
    h.lock = false;
    await import("../../src/main/main.js");
    expect(h.calls).toEqual(["requestSingleInstanceLock", "quit"]);
    expect(h.emulatorOptions).toEqual([]);
    // Nothing left that could act later: main.ts can only run again through a callback handed to
    // Electron (an app event, readiness: both would be in h.calls) or to the process (a signal).
    for (const signal of SIGNALS) expect(process.listeners(signal), signal).toEqual(signalListeners[signal]);

    vi.resetModules();
    h.lock = true;
    h.calls = [];
    await startApp();
    expect(h.calls[0]).toBe("requestSingleInstanceLock");
    expect(h.appListeners.has("second-instance")).toBe(true);
  });

  it("app.enableSandbox(): every renderer sandboxed, called before ready", async () => {
    await startApp();
    before("requestSingleInstanceLock", "enableSandbox");
    before("enableSandbox", "whenReady");
    before("enableSandbox", "new BrowserWindow");
  });

  it("contextIsolation: enabled on the console window", async () => {
    await startApp();
    expect(webPreferences().contextIsolation).toBe(true);
  });

  it("sandbox: the console window's renderer is sandboxed", async () => {
    await startApp();
    expect(webPreferences().sandbox).toBe(true);
    // The preload is the bundled CommonJS file a sandboxed preload must be, by absolute path.
    expect(webPreferences().preload).toBe(path.join("/app", "dist", "preload", "preload.cjs"));
  });

  it("nodeIntegration off, also in subframes and workers", async () => {
    await startApp();
    const prefs = webPreferences();
    expect(prefs.nodeIntegration).toBe(false);
    // Unset means Electron's default, false; anything else must be an explicit false.
    expect(prefs.nodeIntegrationInSubFrames ?? false).toBe(false);
    expect(prefs.nodeIntegrationInWorker ?? false).toBe(false);
  });

  it("webSecurity: not disabled", async () => {
    await startApp();
    expect(webPreferences().webSecurity).toBe(true);
  });

  it("no allowRunningInsecureContent", async () => {
    await startApp();
    expect(webPreferences().allowRunningInsecureContent).toBe(false);
  });

  it("no experimentalFeatures", async () => {
    await startApp();
    expect(webPreferences().experimentalFeatures).toBe(false);
  });

  it("no enableBlinkFeatures", async () => {
    await startApp();
    expect(webPreferences()).not.toHaveProperty("enableBlinkFeatures");
    // Nor through the command line (the fake app has no commandLine: using it would have thrown).
    for (const file of sourceFiles(path.join(repo, "src/main"))) {
      expect(readFileSync(file, "utf8"), file).not.toMatch(/enableBlinkFeatures|enable-blink-features|commandLine\.appendSwitch/);
    }
  });

  it("no webviewTag: <webview> disabled, and attaching one is refused", async () => {
    await startApp();
    expect(webPreferences().webviewTag).toBe(false);
    const contents = createContents();
    expect(contents.emit("will-attach-webview", undefined, { allowpopups: true }, { src: `${ORIGIN}/` })).toBe(true);
  });

  it("CSP: the strict policy is added to every console response before the window loads", async () => {
    await startApp();
    before("csp", "new BrowserWindow");
    const answers: any[] = [];
    h.headersListener!({ url: `${ORIGIN}/`, responseHeaders: { "Content-Type": ["text/html"] } }, (r: unknown) => answers.push(r));
    h.headersListener!({ url: `${ORIGIN}/assets/index.js`, responseHeaders: {} }, (r: unknown) => answers.push(r));
    h.headersListener!({ url: "https://example.com/", responseHeaders: {} }, (r: unknown) => answers.push(r));
    const [page, script, other] = answers;
    const csp: string = page.responseHeaders["Content-Security-Policy"][0];
    expect(script.responseHeaders["Content-Security-Policy"]).toEqual([csp]);
    expect(other).toEqual({});
    const directives = Object.fromEntries(csp.split(";").map((d) => d.trim().split(/\s+/)).map(([name, ...values]) => [name, values]));
    expect(directives["default-src"]).toEqual(["'self'"]);
    expect(directives["script-src"]).toEqual(["'self'"]); // no 'unsafe-inline', 'unsafe-eval', remote hosts
    expect(directives["style-src"]).toEqual(["'self'"]); // no 'unsafe-inline': stylesheets from the bundle only
    expect(directives["object-src"]).toEqual(["'none'"]);
    expect(directives["base-uri"]).toEqual(["'none'"]);
    expect(directives["connect-src"]).toEqual(["'self'"]);
    expect(directives["frame-ancestors"]).toEqual(["'none'"]);
    expect(directives["form-action"]).toEqual(["'none'"]);
  });

  it("navigation: will-navigate and will-redirect keep every webContents on the console origin", async () => {
    await startApp();
    // Hooked for every webContents, before the console window exists.
    before("app.on web-contents-created", "new BrowserWindow");
    const webContents = [createContents(), createContents()];
    for (const contents of webContents) {
      expect(contents.listenerCount("will-navigate")).toBe(1);
      expect(contents.listenerCount("will-redirect")).toBe(1);
      for (const name of ["will-navigate", "will-redirect"] as const) {
        expect(contents.emit(name, `${ORIGIN}/settings?tab=1`), `${name} within the console`).toBe(false);
        for (const target of ["https://example.com/", "http://127.0.0.1:4322/", "http://localhost:4321/", "file:///etc/passwd", "javascript:alert(1)", "about:blank"]) {
          expect(contents.emit(name, target), `${name} ${target}`).toBe(true);
        }
      }
    }
    expect(await openedExternally(webContents[1]!)).toEqual([]);
  });

  it("navigation of any frame: will-frame-navigate keeps subframes (and the main frame) on the console origin", async () => {
    await startApp();
    const webContents = [createContents(), createContents()];
    for (const contents of webContents) {
      expect(contents.listenerCount("will-frame-navigate")).toBe(1);
      for (const isMainFrame of [false, true]) {
        expect(contents.emitFrameNavigation(`${ORIGIN}/inspector`, isMainFrame), "within the console").toBe(false);
        for (const target of ["https://example.com/", "http://127.0.0.1:4322/", "http://localhost:4321/", "file:///etc/passwd", "javascript:alert(1)", "about:blank", "data:text/html,<script>1</script>"]) {
          expect(contents.emitFrameNavigation(target, isMainFrame), `${isMainFrame ? "main" : "sub"} frame to ${target}`).toBe(true);
        }
      }
    }
    expect(await openedExternally(webContents[1]!)).toEqual([]);
  });

  it("window.open / setWindowOpenHandler: every new window is denied", async () => {
    await startApp();
    const contents = createContents();
    expect(contents.hasWindowOpenHandler()).toBe(true);
    for (const url of [`${ORIGIN}/`, "https://example.com/", "http://example.com/", "about:blank", "file:///etc/passwd"]) {
      expect(contents.open(url), url).toEqual({ action: "deny" });
    }
  });

  it("shell.openExternal only for https", async () => {
    await startApp();
    const contents = createContents();
    for (const url of ["https://example.com/docs", "http://example.com/", `${ORIGIN}/`, "file:///etc/passwd", "smb://host/share", "mailto:a@b.c", "javascript:alert(1)", "not a url"]) {
      contents.open(url);
    }
    contents.emit("will-navigate", "https://example.org/");
    expect(await openedExternally(contents)).toEqual(["https://example.com/docs"]);
    expect(warnings).toContain("[main] blocked window.open of http://example.com/");
  });

  it("permission request and check handlers deny everything, installed before the window", async () => {
    await startApp();
    before("permission request handler", "new BrowserWindow");
    before("permission check handler", "new BrowserWindow");
    for (const permission of ["media", "notifications", "geolocation", "clipboard-read", "clipboard-sanitized-write", "fullscreen", "openExternal", "midiSysex", "hid", "serial", "usb"]) {
      const answers: boolean[] = [];
      h.permissionRequest!({}, permission, (granted: boolean) => answers.push(granted), { requestingUrl: `${ORIGIN}/` });
      expect(answers, permission).toEqual([false]);
      expect(h.permissionCheck!({}, permission, ORIGIN, {}), permission).toBe(false);
    }
    expect(h.devicePermission!({ deviceType: "hid", origin: ORIGIN })).toBe(false);
  });

  it("IPC sender validation: only the console's main frame, on the bridge's channels only", async () => {
    await startApp();
    before("ipc galaxy:devices:load", "new BrowserWindow");
    expect([...h.handles.keys()].sort()).toEqual(Object.values(IPC_CHANNELS).sort());
    const untrusted = [
      mainFrame("https://evil.example/"),
      mainFrame("http://127.0.0.1:4322/"),
      mainFrame("file:///app/dist/renderer/index.html"),
      mainFrame("about:blank"),
      { senderFrame: { url: `${ORIGIN}/`, parent: { url: `${ORIGIN}/` } } },
      { senderFrame: null },
    ];
    for (const [channel, handler] of h.handles) {
      for (const event of untrusted) {
        await expect(handler(event, channel.endsWith(":save") ? [] : undefined), `${channel} from ${JSON.stringify(event)}`).rejects.toThrow(/IPC rejected/);
      }
    }
    // The console itself is served.
    await expect(h.handles.get(IPC_CHANNELS.loadDevices)!(mainFrame(`${ORIGIN}/`))).resolves.toEqual([]);
  });

  it("safeStorage backend check: secrets are refused without an OS key store (basic_text on Linux)", async () => {
    // The app as it runs on Linux, whatever this machine is: the store takes the platform when
    // main.ts creates it.
    const platform = Object.getOwnPropertyDescriptor(process, "platform")!;
    Object.defineProperty(process, "platform", { ...platform, value: "linux" });
    try {
      await startApp();
    } finally {
      Object.defineProperty(process, "platform", platform);
    }
    const save = h.handles.get(IPC_CHANNELS.saveDevices)!;
    const trusted = mainFrame(`${ORIGIN}/`);
    // No encryption at all: refused, before anything is written.
    h.safeStorage = fakeSafeStorage({ available: false });
    await expect(save(trusted, [device()])).rejects.toMatchObject({ code: "SECRET_STORAGE_UNAVAILABLE" });
    // Linux's hard-coded-key fallback: refused as well.
    h.safeStorage = fakeSafeStorage({ backend: "basic_text" });
    await expect(save(trusted, [device()])).rejects.toMatchObject({ code: "SECRET_STORAGE_UNAVAILABLE", message: expect.stringMatching(/basic_text/) });
    expect(h.calls.filter((c) => c.startsWith("exit"))).toEqual([]);
  });

  it("no remote module: neither @electron/remote nor enableRemoteModule, and the page gets only the frozen bridge", async () => {
    const pkg = JSON.parse(readFileSync(path.join(repo, "package.json"), "utf8")) as Record<string, Record<string, string> | undefined>;
    for (const field of ["dependencies", "devDependencies", "optionalDependencies"]) {
      expect(Object.keys(pkg[field] ?? {}), field).not.toContain("@electron/remote");
    }
    // Electron removed the built-in remote module in 14.
    const electronMajor = Number(/(\d+)/.exec(pkg.devDependencies!.electron!)![1]);
    expect(electronMajor).toBeGreaterThanOrEqual(14);
    for (const dir of ["src/main", "src/preload", "src/renderer", "src/shared"]) {
      for (const file of sourceFiles(path.join(repo, dir))) {
        expect(readFileSync(file, "utf8"), file).not.toMatch(/@electron\/remote|enableRemoteModule|\bremote\s*[,}]\s*from\s*["']electron["']/);
      }
    }
    await startApp();
    expect(webPreferences()).not.toHaveProperty("enableRemoteModule");
    // The preload exposes one frozen object of functions: no ipcRenderer, no require, no remote.
    await import("../../src/preload/preload.js");
    expect(h.exposed.map(([key]) => key)).toEqual([BRIDGE_GLOBAL]);
    const bridge = h.exposed[0]![1] as DesktopBridge;
    expect(Object.isFrozen(bridge)).toBe(true);
    expect(Object.keys(bridge).sort()).toEqual(["host", "loadDevices", "loadPreferences", "saveDevices", "savePreferences"]);
  });

  it("secure content, no file://: the console is loaded over loopback http from the embedded gateway", async () => {
    await startApp();
    expect(h.emulatorOptions[0]).toMatchObject({ host: "127.0.0.1", port: 0 });
    expect(h.windows[0]!.loaded).toEqual([`${EMULATOR_URL}/`]);
    expect(h.calls.filter((c) => c.startsWith("loadURL"))).toEqual([`loadURL ${EMULATOR_URL}/`]);
  });

  it("fuses: the packaged binary cannot run as Node, be inspected, or load code outside the checked app.asar", () => {
    const yml = readFileSync(path.join(repo, "electron-builder.yml"), "utf8");
    const block = /^electronFuses:\n((?:[ \t]+.*\n?)+)/m.exec(yml)?.[1] ?? "";
    const fuses = Object.fromEntries(
      block
        .split("\n")
        .map((line) => /^\s+(\w+):\s*(true|false)\s*$/.exec(line))
        .filter((m): m is RegExpExecArray => m !== null)
        .map((m) => [m[1], m[2] === "true"]),
    );
    expect(fuses).toEqual({
      runAsNode: false,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableCookieEncryption: true,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
      grantFileProtocolExtraPrivileges: false,
    });
  });
});
