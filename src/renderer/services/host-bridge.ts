// Picks the host API: Electron's preload bridge when present, else one backed by IndexedDB.
import { BRIDGE_GLOBAL, type DesktopBridge } from "../../shared/bridge.js";
import { createBrowserBridge } from "./browser-bridge.js";

export function pickBridge(page: Window): DesktopBridge {
  const fromHost = (page as unknown as Record<string, DesktopBridge | undefined>)[BRIDGE_GLOBAL];
  return fromHost ?? createBrowserBridge(page.indexedDB);
}
