// main.ts wired against a substituted `electron` module and a fake emulator: checks the composition
// (order, options, policies installed, quit sequence) without any Electron binary.
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { CONSOLE_CSP } from "../../src/shared/console-csp.js";
import { secureWebPreferences } from "../../src/main/window-options.js";
import { IPC_CHANNELS } from "../../src/shared/bridge.js";

const h = vi.hoisted(() => {
  type Listener = (...args: any[]) => unknown;
  const emitter = () => {
    const map = new Map<string, Listener[]>();
    return {
      map,
      on(name: string, l: Listener) {
        map.set(name, [...(map.get(name) ?? []), l]);
        return this;
      },
      once(name: string, l: Listener) {
        return this.on(name, l);
      },
      emit(name: string, ...args: unknown[]) {
        for (const l of map.get(name) ?? []) l(...args);
      },
    };
  };
  const state = {
    lock: true,
    calls: [] as string[],
    app: emitter(),
    windows: [] as Array<{ options: any; loaded: string[]; events: ReturnType<typeof emitter> }>,
    handles: new Map<string, Listener>(),
    headersListener: undefined as Listener | undefined,
    permissionRequest: undefined as Listener | undefined,
    permissionCheck: undefined as Listener | undefined,
    exitCodes: [] as number[],
    errorBoxes: [] as string[],
    emulatorOptions: [] as unknown[],
    startEmulator: undefined as undefined | (() => Promise<{ url: string; close(): Promise<void> }>),
    reset() {
      this.lock = true;
      this.calls = [];
      this.app = emitter();
      this.windows = [];
      this.handles = new Map();
      this.headersListener = this.permissionRequest = this.permissionCheck = undefined;
      this.exitCodes = [];
      this.errorBoxes = [];
      this.emulatorOptions = [];
    },
    emitter,
  };
  return state;
});

vi.mock("electron", () => {
  class BrowserWindow {
    webContents = { id: 1 };
    events = h.emitter();
    loaded: string[] = [];
    constructor(public options: unknown) {
      h.calls.push("new BrowserWindow");
      h.windows.push(this as any);
    }
    once(name: string, l: () => void) {
      this.events.on(name, l);
    }
    on(name: string, l: () => void) {
      this.events.on(name, l);
    }
    async loadURL(url: string) {
      h.calls.push(`loadURL ${url}`);
      this.loaded.push(url);
    }
    show() {}
  }
  return {
    app: {
      requestSingleInstanceLock: () => (h.calls.push("requestSingleInstanceLock"), h.lock),
      enableSandbox: () => h.calls.push("enableSandbox"),
      on: (name: string, l: any) => h.app.on(name, l),
      whenReady: async () => {
        h.calls.push("whenReady");
      },
      getAppPath: () => "/app",
      getPath: (name: string) => (name === "userData" ? "/userData" : `/${name}`),
      quit: () => h.calls.push("quit"),
      exit: (code: number) => h.exitCodes.push(code),
    },
    BrowserWindow,
    dialog: { showErrorBox: (title: string, body: string) => h.errorBoxes.push(`${title}: ${body}`) },
    ipcMain: { handle: (channel: string, l: any) => h.handles.set(channel, l) },
    safeStorage: { isEncryptionAvailable: () => true, getSelectedStorageBackend: () => "gnome_libsecret" },
    session: {
      defaultSession: {
        webRequest: { onHeadersReceived: (l: any) => ((h.headersListener = l), h.calls.push("csp")) },
        setPermissionRequestHandler: (l: any) => ((h.permissionRequest = l), h.calls.push("permissions")),
        setPermissionCheckHandler: (l: any) => (h.permissionCheck = l),
      },
    },
    shell: { openExternal: async () => {} },
  };
});

vi.mock("../../src/emulator/start.js", () => ({
  startEmulator: async (options: unknown) => {
    h.calls.push("startEmulator");
    h.emulatorOptions.push(options);
    return h.startEmulator!();
  },
}));

const close = vi.fn(async () => {
  h.calls.push("emulator.close");
});
let signalListeners: Record<string, Function[]>;

beforeEach(() => {
  vi.resetModules();
  h.reset();
  close.mockClear();
  h.startEmulator = async () => ({ url: "http://127.0.0.1:4321", close });
  signalListeners = { SIGINT: process.listeners("SIGINT"), SIGTERM: process.listeners("SIGTERM"), SIGHUP: process.listeners("SIGHUP") };
});
afterEach(() => {
  // main.ts hooks SIGINT/SIGTERM/SIGHUP on this (test) process: unhook what it added.
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    for (const l of process.listeners(signal)) if (!signalListeners[signal]!.includes(l)) process.off(signal, l as any);
  }
});

describe("main.ts composition", () => {
  it("starts the emulator, installs every policy, then opens one locked-down window on the console", async () => {
    await import("../../src/main/main.js");
    await vi.waitFor(() => expect(h.calls).toContain("loadURL http://127.0.0.1:4321/"));

    expect(h.calls).toEqual([
      "requestSingleInstanceLock",
      "enableSandbox",
      "whenReady",
      "startEmulator",
      "csp",
      "permissions",
      "new BrowserWindow",
      "loadURL http://127.0.0.1:4321/",
    ]);
    expect(h.emulatorOptions).toEqual([
      { host: "127.0.0.1", port: 0, stateDir: path.join("/userData", "emulator"), consoleDir: path.join("/app", "dist", "renderer") },
    ]);
    expect(h.windows).toHaveLength(1);
    expect(h.windows[0]!.options.webPreferences).toEqual(secureWebPreferences(path.join("/app", "dist", "preload", "preload.cjs")));
    expect([...h.handles.keys()].sort()).toEqual(Object.values(IPC_CHANNELS).sort());

    // The policies are live for the console origin.
    const answers: any[] = [];
    h.headersListener!({ url: "http://127.0.0.1:4321/", responseHeaders: {} }, (r: unknown) => answers.push(r));
    expect(answers[0].responseHeaders["Content-Security-Policy"]).toEqual([CONSOLE_CSP]);
    expect(h.permissionCheck!(null, "media")).toBe(false);
    await expect(h.handles.get(IPC_CHANNELS.loadPreferences)!({ senderFrame: { url: "https://evil.example/", parent: null } })).rejects.toThrow(/rejected/);

    // Every webContents created from now on gets the navigation guard.
    const setWindowOpenHandler = vi.fn();
    h.app.emit("web-contents-created", {}, { on: vi.fn(), setWindowOpenHandler });
    expect(setWindowOpenHandler).toHaveBeenCalledTimes(1);
  });

  it("quits cleanly: before-quit is held until the emulator closed, then exit(0)", async () => {
    await import("../../src/main/main.js");
    await vi.waitFor(() => expect(h.windows).toHaveLength(1));
    const event = { preventDefault: vi.fn() };
    h.app.emit("before-quit", event);
    expect(event.preventDefault).toHaveBeenCalled();
    await vi.waitFor(() => expect(h.exitCodes).toEqual([0]));
    expect(close).toHaveBeenCalledTimes(1);

    h.app.emit("window-all-closed");
    expect(h.calls).toContain("quit");
  });

  it.each(["SIGINT", "SIGTERM", "SIGHUP"] as const)("%s asks the app to quit (the clean quit above follows)", async (signal) => {
    await import("../../src/main/main.js");
    await vi.waitFor(() => expect(h.windows).toHaveLength(1));
    // Only main.ts's own listener is called: the test runner's are left out.
    const added = process.listeners(signal).filter((l) => !signalListeners[signal]!.includes(l));
    expect(added).toHaveLength(1);
    (added[0] as (s: NodeJS.Signals) => void)(signal);
    expect(h.calls).toContain("quit");
  });

  it("quits immediately, touching nothing, when another instance holds the lock", async () => {
    h.lock = false;
    await import("../../src/main/main.js");
    expect(h.calls).toEqual(["requestSingleInstanceLock", "quit"]);
    // Nothing left that could act later: main.ts can only run again through a callback handed to
    // Electron (an app event, readiness) or to the process (a signal), and it handed none.
    expect([...h.app.map.keys()]).toEqual([]);
    for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) expect(process.listeners(signal), signal).toEqual(signalListeners[signal]);
  });

  it("reports a failed emulator start and exits 1 without opening a window", async () => {
    h.startEmulator = async () => {
      throw new Error("EADDRINUSE");
    };
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    await import("../../src/main/main.js");
    await vi.waitFor(() => expect(h.exitCodes).toEqual([1]));
    expect(h.errorBoxes[0]).toContain("EADDRINUSE");
    expect(h.windows).toHaveLength(0);
    expect(warn).toHaveBeenCalledWith(expect.stringContaining("startup failed"));
    warn.mockRestore();
  });
});
