// The preload, run against a substituted `electron` module (the real one is never loaded here).
import { beforeAll, describe, expect, it, vi } from "vitest";
import { BRIDGE_GLOBAL, IPC_CHANNELS, type DesktopBridge } from "../../src/shared/bridge.js";
import { device } from "./fixtures.js";

const electron = vi.hoisted(() => ({
  exposed: [] as Array<[string, unknown]>,
  invoke: [] as unknown[][],
}));

vi.mock("electron", () => ({
  contextBridge: { exposeInMainWorld: (key: string, api: unknown) => electron.exposed.push([key, api]) },
  ipcRenderer: {
    invoke: async (...args: unknown[]) => {
      electron.invoke.push(args);
      return args[0] === "galaxy:devices:load" ? [{ id: 1 }] : args[0] === "galaxy:preferences:load" ? { p: 1 } : "leaked";
    },
    send: () => {
      throw new Error("preload must only invoke");
    },
  },
}));

let bridge: DesktopBridge;
beforeAll(async () => {
  await import("../../src/preload/preload.js");
  bridge = electron.exposed[0]![1] as DesktopBridge;
});

describe("preload bridge", () => {
  it("exposes one frozen DesktopBridge as window.galaxyDesktop", () => {
    expect(electron.exposed.map(([key]) => key)).toEqual([BRIDGE_GLOBAL]);
    expect(Object.isFrozen(bridge)).toBe(true);
    expect(Object.keys(bridge).sort()).toEqual(["host", "loadDevices", "loadPreferences", "saveDevices", "savePreferences"]);
    expect(bridge.host).toBe("electron");
    // Nothing but the bridge functions: no ipcRenderer, no generic invoke(channel, …).
    for (const [key, value] of Object.entries(bridge)) if (key !== "host") expect(typeof value).toBe("function");
  });

  it("maps each method to exactly one invoke on its channel", async () => {
    electron.invoke.length = 0;
    expect(await bridge.loadDevices()).toEqual([{ id: 1 }]);
    expect(await bridge.saveDevices([device()])).toBeUndefined();
    expect(await bridge.loadPreferences()).toEqual({ p: 1 });
    expect(await bridge.savePreferences({ a: 1 })).toBeUndefined();
    expect(electron.invoke).toEqual([
      [IPC_CHANNELS.loadDevices],
      [IPC_CHANNELS.saveDevices, [device()]],
      [IPC_CHANNELS.loadPreferences],
      [IPC_CHANNELS.savePreferences, { a: 1 }],
    ]);
  });

  it("forwards no extra arguments the page might pass", async () => {
    electron.invoke.length = 0;
    await (bridge.savePreferences as (...a: unknown[]) => Promise<void>)({ a: 1 }, "galaxy:devices:save", "extra");
    expect(electron.invoke).toEqual([[IPC_CHANNELS.savePreferences, { a: 1 }]]);
  });
});
