// App-wide state: the signed-in devices (kept by the host bridge), the active one, UI preferences,
// sessions known to be revoked, and the last request accepted by the gateway (for the replay case).
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from "react";
import type { DesktopBridge, StoredDevice } from "../../shared/bridge.js";
import type { ExecuteCommandRequest } from "../../shared/gen/galaxy/gateway/v1/gateway_pb.js";
import { StreamManager } from "../features/events/stream-manager.js";

export const TABS = ["signin", "commands", "events", "inspector", "tamper", "settings"] as const;
export type Tab = (typeof TABS)[number];

export interface AcceptedRequest {
  request: ExecuteCommandRequest;
  deviceSessionId: string;
  sentAtMs: number;
}

export interface AppState {
  bridge: DesktopBridge;
  ready: boolean;
  loadError?: string;
  devices: StoredDevice[];
  active?: StoredDevice;
  revoked: ReadonlySet<string>;
  tab: Tab;
  setTab(tab: Tab): void;
  setActive(deviceSessionId: string): void;
  addDevice(device: StoredDevice): void;
  removeDevice(deviceSessionId: string): void;
  updateDevice(deviceSessionId: string, patch: Partial<StoredDevice>): void;
  markRevoked(deviceSessionId: string): void;
  /** Per device session, the last request the gateway accepted (answered with a response): the replay case. */
  lastAccepted: Map<string, AcceptedRequest>;
  streams: StreamManager;
}

const Ctx = createContext<AppState | null>(null);

export function useApp(): AppState {
  const state = useContext(Ctx);
  if (!state) throw new Error("useApp outside <AppProvider>");
  return state;
}

export function useActiveDevice(): StoredDevice | undefined {
  return useApp().active;
}

export function AppProvider({ bridge, children }: { bridge: DesktopBridge; children: ReactNode }) {
  const [ready, setReady] = useState(false);
  const [loadError, setLoadError] = useState<string>();
  const [devices, setDevices] = useState<StoredDevice[]>([]);
  const [activeId, setActiveId] = useState<string>();
  const [revoked, setRevoked] = useState<ReadonlySet<string>>(new Set());
  const [tab, setTabState] = useState<Tab>("signin");
  const lastAccepted = useMemo(() => new Map<string, AcceptedRequest>(), []);
  const streams = useMemo(() => new StreamManager(), []);

  useEffect(() => {
    let cancelled = false;
    Promise.all([bridge.loadDevices(), bridge.loadPreferences()])
      .then(([loaded, prefs]) => {
        if (cancelled) return;
        setDevices(loaded);
        const wanted = typeof prefs.activeDeviceId === "string" ? prefs.activeDeviceId : undefined;
        setActiveId(loaded.some((d) => d.deviceSessionId === wanted) ? wanted : loaded[0]?.deviceSessionId);
        if (typeof prefs.tab === "string" && (TABS as readonly string[]).includes(prefs.tab)) setTabState(prefs.tab as Tab);
        if (Array.isArray(prefs.revokedSessions)) {
          setRevoked(new Set(prefs.revokedSessions.filter((x): x is string => typeof x === "string")));
        }
      })
      .catch((e: unknown) => !cancelled && setLoadError(`could not load stored devices: ${String(e)}`))
      .finally(() => !cancelled && setReady(true));
    return () => {
      cancelled = true;
    };
  }, [bridge]);

  // Persist after the initial load only, so an early save never overwrites stored data.
  useEffect(() => {
    if (ready) void bridge.saveDevices(devices).catch((e: unknown) => setLoadError(`could not save devices: ${String(e)}`));
  }, [bridge, ready, devices]);
  useEffect(() => {
    if (!ready) return;
    const known = new Set(devices.map((d) => d.deviceSessionId));
    void bridge
      .savePreferences({ activeDeviceId: activeId ?? null, tab, revokedSessions: [...revoked].filter((id) => known.has(id)) })
      .catch(() => undefined);
  }, [bridge, ready, activeId, tab, revoked, devices]);

  useEffect(() => () => streams.stopAll(), [streams]);

  const addDevice = useCallback((device: StoredDevice) => {
    setDevices((ds) => [...ds.filter((d) => d.deviceSessionId !== device.deviceSessionId), device]);
    setActiveId(device.deviceSessionId);
  }, []);
  const removeDevice = useCallback(
    (id: string) => {
      streams.stop(id);
      streams.forget(id);
      lastAccepted.delete(id);
      setDevices((ds) => {
        const rest = ds.filter((d) => d.deviceSessionId !== id);
        setActiveId((cur) => (cur === id ? rest[0]?.deviceSessionId : cur));
        return rest;
      });
    },
    [streams, lastAccepted],
  );
  const updateDevice = useCallback((id: string, patch: Partial<StoredDevice>) => {
    setDevices((ds) => ds.map((d) => (d.deviceSessionId === id ? { ...d, ...patch, deviceSessionId: id } : d)));
  }, []);
  const markRevoked = useCallback((id: string) => setRevoked((s) => (s.has(id) ? s : new Set([...s, id]))), []);

  const value: AppState = {
    bridge,
    ready,
    ...(loadError ? { loadError } : {}),
    devices,
    ...(activeId ? { active: devices.find((d) => d.deviceSessionId === activeId) } : {}),
    revoked,
    tab,
    setTab: setTabState,
    setActive: setActiveId,
    addDevice,
    removeDevice,
    updateDevice,
    markRevoked,
    lastAccepted,
    streams,
  };
  return <Ctx.Provider value={value}>{children}</Ctx.Provider>;
}
