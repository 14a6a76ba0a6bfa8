// Sandboxed preload: exposes the DesktopBridge to the console as window.galaxyDesktop. Each method
// is one ipcRenderer.invoke on a fixed channel with the caller's single argument — the page never
// gets ipcRenderer (or any way to pick a channel), and results are passed through as plain data.
import { contextBridge, ipcRenderer } from "electron";
import { BRIDGE_GLOBAL, IPC_CHANNELS, type DesktopBridge, type StoredDevice } from "../shared/bridge.js";

const bridge: DesktopBridge = Object.freeze({
  host: "electron" as const,
  loadDevices: async (): Promise<StoredDevice[]> => (await ipcRenderer.invoke(IPC_CHANNELS.loadDevices)) as StoredDevice[],
  saveDevices: async (devices: StoredDevice[]): Promise<void> => {
    await ipcRenderer.invoke(IPC_CHANNELS.saveDevices, devices);
  },
  loadPreferences: async (): Promise<Record<string, unknown>> =>
    (await ipcRenderer.invoke(IPC_CHANNELS.loadPreferences)) as Record<string, unknown>,
  savePreferences: async (preferences: Record<string, unknown>): Promise<void> => {
    await ipcRenderer.invoke(IPC_CHANNELS.savePreferences, preferences);
  },
});

contextBridge.exposeInMainWorld(BRIDGE_GLOBAL, bridge);
