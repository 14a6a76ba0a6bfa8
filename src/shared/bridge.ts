// The API the renderer gets from its host: Electron's preload (window.galaxyDesktop, backed by
// safeStorage under userData) or, in a plain browser, an IndexedDB implementation in the renderer.
// Only what the renderer needs: storage of its device identities and its own settings.

/** A signed-in device as the renderer keeps it. */
export interface StoredDevice {
  deviceSessionId: string;
  userId: string;
  email: string;
  /** Ed25519 seed, lowercase hex (32 bytes). Secret: stored encrypted by the Electron host. */
  seedHex: string;
  /** Base64url of the pinned gateway response-signing key at sign-in. */
  gatewayKey: string;
  createdAtMs: number;
  label?: string;
}

export interface DesktopBridge {
  readonly host: "electron" | "browser";
  loadDevices(): Promise<StoredDevice[]>;
  saveDevices(devices: StoredDevice[]): Promise<void>;
  /** Renderer UI preferences (active device, open tab …): small JSON. */
  loadPreferences(): Promise<Record<string, unknown>>;
  savePreferences(preferences: Record<string, unknown>): Promise<void>;
}

export const BRIDGE_GLOBAL = "galaxyDesktop";

/** IPC channel names between preload and main: the main process accepts these and nothing else. */
export const IPC_CHANNELS = {
  loadDevices: "galaxy:devices:load",
  saveDevices: "galaxy:devices:save",
  loadPreferences: "galaxy:preferences:load",
  savePreferences: "galaxy:preferences:save",
} as const;
