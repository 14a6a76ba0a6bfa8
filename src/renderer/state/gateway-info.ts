// The gateway's public info (current response-signing key, freshness window, clock), refreshed every
// few seconds and on demand (after a key rotation), shared by the header, devices and settings.
import { useEffect, useSyncExternalStore } from "react";
import type { GatewayInfo } from "../../shared/protocol.js";
import { getGatewayInfo } from "../api/rest.js";

export interface GatewayInfoState {
  info?: GatewayInfo;
  /** server_time_ms − local clock at the time of the answer (ignores latency). */
  skewMs?: number;
  online: boolean | undefined;
  checkedAtMs?: number;
}

const REFRESH_MS = 10_000;
let state: GatewayInfoState = { online: undefined };
const listeners = new Set<() => void>();
let users = 0;
let timer: ReturnType<typeof setInterval> | undefined;

function set(next: GatewayInfoState) {
  state = next;
  for (const l of listeners) l();
}

export async function refreshGatewayInfo(): Promise<GatewayInfo | undefined> {
  try {
    const info = await getGatewayInfo();
    set({ info, skewMs: info.server_time_ms - Date.now(), online: true, checkedAtMs: Date.now() });
    return info;
  } catch {
    set({ ...state, online: false, checkedAtMs: Date.now() });
    return undefined;
  }
}

function subscribe(listener: () => void) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function useGatewayInfo(): GatewayInfoState {
  useEffect(() => {
    if (users++ === 0) {
      void refreshGatewayInfo();
      timer = setInterval(() => void refreshGatewayInfo(), REFRESH_MS);
    }
    return () => {
      if (--users === 0) clearInterval(timer);
    };
  }, []);
  return useSyncExternalStore(subscribe, () => state);
}
