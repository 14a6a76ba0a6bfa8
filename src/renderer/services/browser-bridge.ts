// The DesktopBridge of a plain browser: devices and preferences in IndexedDB, kept across reloads.
// (Inside Electron the preload provides window.galaxyDesktop instead, backed by safeStorage.)
import type { DesktopBridge, StoredDevice } from "../../shared/bridge.js";

const DB_NAME = "galaxy-console";
const STORE = "kv";

/** One key-value object store; the database is opened on first use and again after a failed open. */
function keyValueStore(indexedDB: IDBFactory) {
  let dbPromise: Promise<IDBDatabase> | undefined;

  function openDb(): Promise<IDBDatabase> {
    dbPromise ??= new Promise<IDBDatabase>((resolve, reject) => {
      const req = indexedDB.open(DB_NAME, 1);
      req.onupgradeneeded = () => {
        if (!req.result.objectStoreNames.contains(STORE)) req.result.createObjectStore(STORE);
      };
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error ?? new Error("IndexedDB open failed"));
      req.onblocked = () => reject(new Error("IndexedDB open blocked"));
    });
    dbPromise.catch(() => (dbPromise = undefined));
    return dbPromise;
  }

  return {
    async get<T>(key: string): Promise<T | undefined> {
      const db = await openDb();
      return new Promise<T | undefined>((resolve, reject) => {
        const req = db.transaction(STORE, "readonly").objectStore(STORE).get(key);
        req.onsuccess = () => resolve(req.result as T | undefined);
        req.onerror = () => reject(req.error ?? new Error("IndexedDB read failed"));
      });
    },
    async put(key: string, value: unknown): Promise<void> {
      const db = await openDb();
      return new Promise<void>((resolve, reject) => {
        const tx = db.transaction(STORE, "readwrite");
        tx.objectStore(STORE).put(value, key);
        tx.oncomplete = () => resolve();
        tx.onerror = () => reject(tx.error ?? new Error("IndexedDB write failed"));
        tx.onabort = () => reject(tx.error ?? new Error("IndexedDB write aborted"));
      });
    },
  };
}

function isStoredDevice(d: unknown): d is StoredDevice {
  const o = d as Partial<StoredDevice> | null;
  return (
    typeof o === "object" &&
    o !== null &&
    typeof o.deviceSessionId === "string" &&
    typeof o.userId === "string" &&
    typeof o.email === "string" &&
    typeof o.seedHex === "string" &&
    /^[0-9a-f]{64}$/.test(o.seedHex) &&
    typeof o.gatewayKey === "string" &&
    typeof o.createdAtMs === "number"
  );
}

export function createBrowserBridge(indexedDB: IDBFactory): DesktopBridge {
  const kv = keyValueStore(indexedDB);
  return {
    host: "browser",
    async loadDevices() {
      const stored = await kv.get<unknown>("devices");
      return Array.isArray(stored) ? stored.filter(isStoredDevice) : [];
    },
    async saveDevices(devices: StoredDevice[]) {
      await kv.put("devices", devices.map((d) => ({ ...d })));
    },
    async loadPreferences() {
      const stored = await kv.get<unknown>("preferences");
      return stored && typeof stored === "object" && !Array.isArray(stored) ? (stored as Record<string, unknown>) : {};
    },
    async savePreferences(preferences: Record<string, unknown>) {
      await kv.put("preferences", structuredClone(preferences));
    },
  };
}
