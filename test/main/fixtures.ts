// Shared fakes for the main-process tests (no Electron involved).
import type { StoredDevice } from "../../src/shared/bridge.js";

export const CONSOLE_ORIGIN = "http://127.0.0.1:8787";

export function device(overrides: Partial<StoredDevice> = {}): StoredDevice {
  return {
    deviceSessionId: "ds_0001",
    userId: "u_42",
    email: "pilot@example.com",
    seedHex: "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
    gatewayKey: "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo",
    createdAtMs: 1_700_000_000_000,
    ...overrides,
  };
}

/** A reversible stand-in for safeStorage: XOR with a key, so no plaintext reaches the disk. */
export function fakeSafeStorage(options: { available?: boolean; backend?: string } = {}) {
  const key = 0x5a;
  const xor = (bytes: Buffer) => Buffer.from(bytes.map((b) => b ^ key));
  return {
    available: options.available ?? true,
    backend: options.backend ?? "gnome_libsecret",
    isEncryptionAvailable() {
      return this.available;
    },
    getSelectedStorageBackend() {
      return this.backend;
    },
    encryptString(plainText: string) {
      if (!this.available) throw new Error("encryption unavailable");
      return Buffer.concat([Buffer.from("v10"), xor(Buffer.from(plainText, "utf8"))]);
    },
    decryptString(encrypted: Buffer) {
      if (!encrypted.subarray(0, 3).equals(Buffer.from("v10"))) throw new Error("bad ciphertext");
      return xor(encrypted.subarray(3)).toString("utf8");
    },
  };
}
