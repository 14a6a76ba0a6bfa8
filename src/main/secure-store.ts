// The Electron host's storage behind the DesktopBridge, under app.getPath("userData"):
// - devices.enc: the device list (with Ed25519 seeds) encrypted by safeStorage, i.e. by a key held
//   in the OS keychain / secret service. Refused outright when no such key exists: on Linux without
//   a secret service safeStorage falls back to "basic_text", a hard-coded key — obfuscation, not
//   encryption — and the seeds would be as good as plaintext on disk.
// - preferences.json: UI preferences, plain JSON, no secrets.
// Both are replaced atomically, and writes to one file are applied in call order.
import * as fs from "node:fs/promises";
import path from "node:path";
import type { StoredDevice } from "../shared/bridge.js";
import { writeFileAtomic } from "../node/atomic-file.js";
import type { BridgeStore } from "./ipc.js";
import { parseDevices } from "./payloads.js";

export const DEVICES_FILE = "devices.enc";
export const PREFERENCES_FILE = "preferences.json";

/** The slice of Electron's safeStorage used (the synchronous API, available after `ready`). */
export interface SafeStorageLike {
  isEncryptionAvailable(): boolean;
  getSelectedStorageBackend(): string;
  encryptString(plainText: string): Buffer;
  decryptString(encrypted: Buffer): string;
}

/** Thrown when secrets cannot be protected; its message is meant to be shown to the user. */
export class SecretStorageUnavailableError extends Error {
  override name = "SecretStorageUnavailableError";
  readonly code = "SECRET_STORAGE_UNAVAILABLE";
}

/** Why secrets cannot be stored here, or null when safeStorage is backed by a real OS key. */
export function secretStorageProblem(safeStorage: SafeStorageLike, platform: NodeJS.Platform): string | null {
  if (!safeStorage.isEncryptionAvailable()) {
    return "Device keys were not saved: the operating system offers no encryption key store to protect them.";
  }
  if (platform === "linux" && safeStorage.getSelectedStorageBackend() === "basic_text") {
    return (
      "Device keys were not saved: no secret service (GNOME Keyring, KWallet) is available, and Electron would " +
      "fall back to a hard-coded key (basic_text). Start or unlock a secret service, or use the console in a browser."
    );
  }
  return null;
}

export interface DesktopStoreOptions {
  userDataDir: string;
  safeStorage: SafeStorageLike;
  platform?: NodeJS.Platform;
}

export function createDesktopStore(options: DesktopStoreOptions): BridgeStore {
  const { userDataDir, safeStorage } = options;
  const platform = options.platform ?? process.platform;
  const devicesPath = path.join(userDataDir, DEVICES_FILE);
  const preferencesPath = path.join(userDataDir, PREFERENCES_FILE);
  const queues = new Map<string, Promise<unknown>>();

  // One write at a time per file, in call order: two overlapping saves must not land out of order.
  const serialized = <T>(file: string, task: () => Promise<T>): Promise<T> => {
    const run = (queues.get(file) ?? Promise.resolve()).then(task, task);
    queues.set(file, run.catch(() => {}));
    return run;
  };

  const requireSecretStorage = (): void => {
    const problem = secretStorageProblem(safeStorage, platform);
    if (problem) throw new SecretStorageUnavailableError(problem);
  };

  return {
    async loadDevices() {
      const encrypted = await readIfExists(devicesPath);
      if (!encrypted) return [];
      requireSecretStorage();
      let list: unknown;
      try {
        list = (JSON.parse(safeStorage.decryptString(encrypted)) as { devices?: unknown }).devices;
      } catch (error) {
        throw new Error(`Stored devices could not be decrypted (was the OS keychain reset?): ${String(error)}`);
      }
      return parseDevices(list);
    },

    saveDevices(devices: StoredDevice[]) {
      return serialized(devicesPath, async () => {
        // Nothing secret to protect: forgetting every device works even without a keychain.
        if (devices.length === 0) {
          await fs.rm(devicesPath, { force: true });
          return;
        }
        requireSecretStorage();
        const encrypted = safeStorage.encryptString(JSON.stringify({ version: 1, devices }));
        await writeFileAtomic(devicesPath, encrypted);
      });
    },

    async loadPreferences() {
      const raw = await readIfExists(preferencesPath);
      if (!raw) return {};
      try {
        const value = JSON.parse(raw.toString("utf8")) as unknown;
        return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
      } catch {
        // Preferences are disposable UI state: a damaged file resets them rather than blocking the app.
        return {};
      }
    },

    savePreferences(preferences: Record<string, unknown>) {
      return serialized(preferencesPath, () => writeFileAtomic(preferencesPath, JSON.stringify(preferences)));
    },
  };
}

async function readIfExists(file: string): Promise<Buffer | null> {
  try {
    return await fs.readFile(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw error;
  }
}
