// The console's own state (src/renderer/state/app-store.ts) against an in-memory DesktopBridge, the
// interface Electron's preload and the IndexedDB bridge both implement: what is loaded, what is saved
// back and when, and what a device's removal tells the other services. Saves are awaited as the
// bridge sees them, never by waiting.
import { describe, expect, it } from "vitest";
import type { DesktopBridge, StoredDevice } from "../../src/shared/bridge.js";
import { AppStore } from "../../src/renderer/state/app-store.js";

const device = (n: number, userId = `u_${n}`): StoredDevice => ({
  deviceSessionId: `ds_${n}`,
  userId,
  email: `pilot${n}@example.com`,
  seedHex: String(n).repeat(64).slice(0, 64),
  gatewayKey: "gw-key",
  createdAtMs: 1_700_000_000_000 + n,
});

/** A bridge holding what it was given; each save is recorded and announced. */
function memoryBridge(stored: { devices?: StoredDevice[]; preferences?: Record<string, unknown> } = {}) {
  const saves: { devices: StoredDevice[][]; preferences: Record<string, unknown>[] } = { devices: [], preferences: [] };
  const waiters: (() => void)[] = [];
  const saved = () => waiters.splice(0).forEach((w) => w());
  const bridge: DesktopBridge = {
    host: "browser",
    loadDevices: async () => stored.devices ?? [],
    loadPreferences: async () => stored.preferences ?? {},
    saveDevices: async (devices) => {
      saves.devices.push(devices);
      saved();
    },
    savePreferences: async (preferences) => {
      saves.preferences.push(preferences);
      saved();
    },
  };
  /** Resolves at the next save the bridge receives. */
  const nextSave = () => new Promise<void>((resolve) => waiters.push(resolve));
  return { bridge, saves, nextSave };
}

describe("AppStore", () => {
  it("loads devices and preferences, keeping the stored active device, tab and revoked sessions", async () => {
    const { bridge, saves } = memoryBridge({
      devices: [device(1), device(2)],
      preferences: { activeDeviceId: "ds_2", tab: "events", revokedSessions: ["ds_1", 7] },
    });
    const store = new AppStore(bridge, () => {});
    expect(store.getSnapshot()).toMatchObject({ ready: false, devices: [], tab: "overview" });
    await store.load();
    const s = store.getSnapshot();
    expect(s).toMatchObject({ ready: true, activeId: "ds_2", tab: "events" });
    expect(s.active?.deviceSessionId).toBe("ds_2");
    expect([...s.revoked]).toEqual(["ds_1"]);
    expect(s.loadError).toBeUndefined();
    // Loading saves nothing back.
    expect(saves).toEqual({ devices: [], preferences: [] });
  });

  it("falls back to the first device and the Overview tab (the console's home) when the stored ones are unknown", async () => {
    const { bridge } = memoryBridge({ devices: [device(1), device(2)], preferences: { activeDeviceId: "ds_gone", tab: "nowhere" } });
    const store = new AppStore(bridge, () => {});
    await store.load();
    expect(store.getSnapshot()).toMatchObject({ activeId: "ds_1", tab: "overview" });
  });

  it("is ready with a load error when the bridge cannot load", async () => {
    const { bridge } = memoryBridge();
    bridge.loadDevices = async () => {
      throw new Error("disk on fire");
    };
    const store = new AppStore(bridge, () => {});
    await store.load();
    expect(store.getSnapshot()).toMatchObject({ ready: true, loadError: "could not load stored devices: Error: disk on fire", devices: [] });
  });

  it("saves changes after the load only, coalesced to one save per turn", async () => {
    const { bridge, saves, nextSave } = memoryBridge();
    const store = new AppStore(bridge, () => {});
    store.setTab("events"); // before the load: not saved (it would overwrite what is stored)
    await store.load();
    expect(saves).toEqual({ devices: [], preferences: [] });

    const saved = nextSave();
    store.addDevice(device(1));
    store.addDevice(device(2, "u_1"));
    store.markRevoked("ds_1");
    store.markRevoked("ds_unknown");
    await saved;
    expect(saves.devices).toEqual([[device(1), device(2, "u_1")]]);
    // Revoked sessions of devices no longer kept are not saved.
    expect(saves.preferences).toEqual([{ activeDeviceId: "ds_2", tab: "events", revokedSessions: ["ds_1"], goneSessions: [] }]);

    // A preference alone does not rewrite the devices.
    const again = nextSave();
    store.setTab("tamper");
    await again;
    expect(saves.devices).toHaveLength(1);
    expect(saves.preferences.at(-1)).toMatchObject({ tab: "tamper" });
  });

  it("removing a device tells the other services, moves the active device and saves", async () => {
    const { bridge, saves, nextSave } = memoryBridge({ devices: [device(1), device(2), device(3)], preferences: { activeDeviceId: "ds_2" } });
    const removed: string[] = [];
    const store = new AppStore(bridge, (id) => removed.push(id));
    await store.load();
    const before = store.getSnapshot();

    const saved = nextSave();
    store.removeDevice("ds_2");
    await saved;
    expect(removed).toEqual(["ds_2"]);
    expect(store.getSnapshot()).toMatchObject({ activeId: "ds_1" });
    expect(store.getSnapshot().active?.deviceSessionId).toBe("ds_1");
    expect(saves.devices).toEqual([[device(1), device(3)]]);
    // Snapshots are replaced, never changed in place (what useSyncExternalStore relies on).
    expect(before.devices.map((d) => d.deviceSessionId)).toEqual(["ds_1", "ds_2", "ds_3"]);
    expect(before.activeId).toBe("ds_2");
  });

  it("notifies subscribers once per change and not for a change that changes nothing", async () => {
    const { bridge } = memoryBridge({ devices: [device(1)] });
    const store = new AppStore(bridge, () => {});
    await store.load();
    let notified = 0;
    const unsubscribe = store.subscribe(() => notified++);
    store.markRevoked("ds_1");
    store.markRevoked("ds_1");
    store.updateDevice("ds_1", { label: "main" });
    unsubscribe();
    store.setTab("settings");
    expect(notified).toBe(2);
    expect(store.getSnapshot().active?.label).toBe("main");
  });
});
