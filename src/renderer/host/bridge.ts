// Picks the host API: Electron's preload bridge when present, else the IndexedDB one.
import { BRIDGE_GLOBAL, type DesktopBridge } from "../../shared/bridge.js";
import { browserBridge } from "./browser-bridge.js";

export function pickBridge(): DesktopBridge {
  const fromHost = (window as unknown as Record<string, DesktopBridge | undefined>)[BRIDGE_GLOBAL];
  return fromHost ?? browserBridge;
}
