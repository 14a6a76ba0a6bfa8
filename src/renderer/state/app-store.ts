// The console's own state: the signed-in devices (kept by the host bridge), the active one, the open
// tab and the sessions known to be revoked. Loaded once from the bridge; every change after that is
// saved back (coalesced to one save per turn), never before, so an early save cannot overwrite what
// is stored.
import type { DesktopBridge, StoredDevice } from "../../shared/bridge.js";
import { Store, type ExternalStore } from "../lib/store.js";

export const TABS = ["overview", "signin", "commands", "history", "events", "inspector", "world", "tamper", "settings"] as const;
export type Tab = (typeof TABS)[number];

export interface AppSnapshot {
  ready: boolean;
  loadError?: string;
  devices: StoredDevice[];
  activeId?: string;
  /** The device of activeId, when it is one of `devices`. */
  active?: StoredDevice;
  revoked: ReadonlySet<string>;
  /** Sessions the gateway no longer knows because the emulator was reset (their devices stay here). */
  gone: ReadonlySet<string>;
  tab: Tab;
}

/** Why a device session can no longer be used, or undefined while it can. */
export type DeadReason = "revoked" | "reset";

export function deadReason(app: Pick<AppSnapshot, "revoked" | "gone">, deviceSessionId: string): DeadReason | undefined {
  if (app.revoked.has(deviceSessionId)) return "revoked";
  if (app.gone.has(deviceSessionId)) return "reset";
  return undefined;
}

type Saves = "nothing" | "preferences" | "devices and preferences";

export class AppStore implements ExternalStore<AppSnapshot> {
  private readonly state = new Store<AppSnapshot>({ ready: false, devices: [], revoked: new Set(), gone: new Set(), tab: "overview" });
  private devicesUnsaved = false;
  private saveQueued = false;

  constructor(
    private readonly bridge: DesktopBridge,
    /** Drops what other services keep for a device session (its stream, its last request). */
    private readonly onDeviceRemoved: (deviceSessionId: string) => void,
  ) {}

  readonly subscribe = this.state.subscribe;
  readonly getSnapshot = this.state.getSnapshot;

  /** Reads the devices and preferences from the bridge; the store is `ready` after, even when that failed. */
  async load(): Promise<void> {
    try {
      const [devices, prefs] = await Promise.all([this.bridge.loadDevices(), this.bridge.loadPreferences()]);
      const wanted = typeof prefs.activeDeviceId === "string" ? prefs.activeDeviceId : undefined;
      const tab = typeof prefs.tab === "string" && (TABS as readonly string[]).includes(prefs.tab) ? (prefs.tab as Tab) : undefined;
      const ids = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : undefined);
      const revoked = ids(prefs.revokedSessions);
      const gone = ids(prefs.goneSessions);
      this.change(
        {
          ready: true,
          devices,
          activeId: devices.some((d) => d.deviceSessionId === wanted) ? wanted : devices[0]?.deviceSessionId,
          ...(tab ? { tab } : {}),
          ...(revoked ? { revoked: new Set(revoked) } : {}),
          ...(gone ? { gone: new Set(gone) } : {}),
        },
        "nothing",
      );
    } catch (e) {
      this.change({ ready: true, loadError: `could not load stored devices: ${String(e)}` }, "nothing");
    }
  }

  readonly setTab = (tab: Tab): void => this.change({ tab }, "preferences");

  readonly setActive = (deviceSessionId: string): void => this.change({ activeId: deviceSessionId }, "preferences");

  /** Adds (or replaces) a device and makes it the active one. */
  readonly addDevice = (device: StoredDevice): void => {
    const devices = [...this.devices().filter((d) => d.deviceSessionId !== device.deviceSessionId), device];
    this.change({ devices, activeId: device.deviceSessionId }, "devices and preferences");
  };

  readonly removeDevice = (deviceSessionId: string): void => {
    this.onDeviceRemoved(deviceSessionId);
    const devices = this.devices().filter((d) => d.deviceSessionId !== deviceSessionId);
    const { activeId } = this.state.getSnapshot();
    this.change({ devices, activeId: activeId === deviceSessionId ? devices[0]?.deviceSessionId : activeId }, "devices and preferences");
  };

  readonly updateDevice = (deviceSessionId: string, patch: Partial<StoredDevice>): void => {
    const devices = this.devices().map((d) => (d.deviceSessionId === deviceSessionId ? { ...d, ...patch, deviceSessionId } : d));
    this.change({ devices }, "devices and preferences");
  };

  readonly markRevoked = (deviceSessionId: string): void => {
    const { revoked } = this.state.getSnapshot();
    if (!revoked.has(deviceSessionId)) this.change({ revoked: new Set([...revoked, deviceSessionId]) }, "preferences");
  };

  /** The emulator was reset: these sessions are unknown to the gateway from now on. */
  readonly markGone = (deviceSessionIds: readonly string[]): void => {
    const { gone } = this.state.getSnapshot();
    this.change({ gone: new Set([...gone, ...deviceSessionIds]) }, "preferences");
  };

  private devices(): StoredDevice[] {
    return this.state.getSnapshot().devices;
  }

  private change(patch: Partial<Omit<AppSnapshot, "active">>, saves: Saves): void {
    this.state.update((s) => {
      const next: AppSnapshot = { ...s, ...patch };
      const active = next.devices.find((d) => d.deviceSessionId === next.activeId);
      if (active) next.active = active;
      else delete next.active;
      return next;
    });
    if (saves !== "nothing") this.save(saves === "devices and preferences");
  }

  private save(devicesChanged: boolean): void {
    if (!this.state.getSnapshot().ready) return;
    this.devicesUnsaved ||= devicesChanged;
    if (this.saveQueued) return;
    this.saveQueued = true;
    queueMicrotask(() => {
      this.saveQueued = false;
      const { devices, activeId, tab, revoked, gone } = this.state.getSnapshot();
      if (this.devicesUnsaved) {
        this.devicesUnsaved = false;
        void this.bridge.saveDevices(devices).catch((e: unknown) => this.change({ loadError: `could not save devices: ${String(e)}` }, "nothing"));
      }
      const known = new Set(devices.map((d) => d.deviceSessionId));
      void this.bridge
        .savePreferences({
          activeDeviceId: activeId ?? null,
          tab,
          revokedSessions: [...revoked].filter((id) => known.has(id)),
          goneSessions: [...gone].filter((id) => known.has(id)),
        })
        .catch(() => undefined);
    });
  }
}
