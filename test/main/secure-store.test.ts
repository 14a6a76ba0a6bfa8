import * as fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  createDesktopStore,
  DEVICES_FILE,
  PREFERENCES_FILE,
  SecretStorageUnavailableError,
  secretStorageProblem,
} from "../../src/main/secure-store.js";
import { device, fakeSafeStorage } from "./fixtures.js";

let dir: string;
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "secure-store-"));
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

describe("secret storage availability", () => {
  it("accepts a real OS backend", () => {
    expect(secretStorageProblem(fakeSafeStorage(), "linux")).toBeNull();
    expect(secretStorageProblem(fakeSafeStorage({ backend: "kwallet6" }), "linux")).toBeNull();
  });
  it("refuses unavailable encryption on every platform", () => {
    for (const platform of ["linux", "darwin", "win32"] as const) {
      expect(secretStorageProblem(fakeSafeStorage({ available: false }), platform)).toMatch(/not saved/);
    }
  });
  it("refuses Linux's basic_text fallback", () => {
    expect(secretStorageProblem(fakeSafeStorage({ backend: "basic_text" }), "linux")).toMatch(/basic_text/);
  });
});

describe("desktop store", () => {
  const devicesPath = () => path.join(dir, DEVICES_FILE);

  it("round-trips devices through safeStorage, never writing the seed in clear", async () => {
    const store = createDesktopStore({ userDataDir: dir, safeStorage: fakeSafeStorage(), platform: "linux" });
    expect(await store.loadDevices()).toEqual([]);
    const devices = [device(), device({ deviceSessionId: "ds_2", label: "work" })];
    await store.saveDevices(devices);
    expect(await store.loadDevices()).toEqual(devices);
    const onDisk = await fs.readFile(devicesPath());
    expect(onDisk.includes(Buffer.from(device().seedHex))).toBe(false);
    expect(onDisk.includes(Buffer.from(device().email))).toBe(false);
    // A fresh store (next app start) reads the same file.
    const again = createDesktopStore({ userDataDir: dir, safeStorage: fakeSafeStorage(), platform: "linux" });
    expect(await again.loadDevices()).toEqual(devices);
  });

  it.each([
    ["basic_text on Linux", { backend: "basic_text" }],
    ["unavailable encryption", { available: false }],
  ])("refuses to save secrets with %s, writing nothing", async (_name, opts) => {
    const store = createDesktopStore({ userDataDir: dir, safeStorage: fakeSafeStorage(opts), platform: "linux" });
    const attempt = store.saveDevices([device()]);
    await expect(attempt).rejects.toThrow(SecretStorageUnavailableError);
    await expect(attempt).rejects.toMatchObject({ code: "SECRET_STORAGE_UNAVAILABLE" });
    expect(await fs.readdir(dir)).toEqual([]);
  });

  it("does not consult the Linux backend on other platforms", async () => {
    const store = createDesktopStore({ userDataDir: dir, safeStorage: fakeSafeStorage({ backend: "basic_text" }), platform: "darwin" });
    await store.saveDevices([device()]);
    expect(await store.loadDevices()).toEqual([device()]);
  });

  it("refuses to read stored secrets once the keychain is gone, and keeps the file", async () => {
    const safeStorage = fakeSafeStorage();
    const store = createDesktopStore({ userDataDir: dir, safeStorage, platform: "linux" });
    await store.saveDevices([device()]);
    safeStorage.backend = "basic_text";
    await expect(store.loadDevices()).rejects.toThrow(SecretStorageUnavailableError);
    await fs.access(devicesPath());
  });

  it("forgets all devices even without a keychain (nothing secret to store)", async () => {
    const safeStorage = fakeSafeStorage();
    const store = createDesktopStore({ userDataDir: dir, safeStorage, platform: "linux" });
    await store.saveDevices([device()]);
    safeStorage.available = false;
    await store.saveDevices([]);
    expect(await store.loadDevices()).toEqual([]);
    expect(await fs.readdir(dir)).toEqual([]);
  });

  it("reports a file it cannot decrypt instead of dropping it", async () => {
    await fs.writeFile(devicesPath(), "garbage");
    const store = createDesktopStore({ userDataDir: dir, safeStorage: fakeSafeStorage(), platform: "linux" });
    await expect(store.loadDevices()).rejects.toThrow(/could not be decrypted/);
    expect(await fs.readFile(devicesPath(), "utf8")).toBe("garbage");
  });

  it("applies overlapping saves in call order", async () => {
    const store = createDesktopStore({ userDataDir: dir, safeStorage: fakeSafeStorage(), platform: "linux" });
    await Promise.all(
      Array.from({ length: 10 }, (_, i) => store.saveDevices([device({ deviceSessionId: `ds_${i}` })])),
    );
    expect(await store.loadDevices()).toEqual([device({ deviceSessionId: "ds_9" })]);
  });

  it("stores preferences as plain JSON under userData", async () => {
    const store = createDesktopStore({ userDataDir: dir, safeStorage: fakeSafeStorage({ available: false }), platform: "linux" });
    expect(await store.loadPreferences()).toEqual({});
    await store.savePreferences({ activeDevice: "ds_1", tab: "journal" });
    expect(JSON.parse(await fs.readFile(path.join(dir, PREFERENCES_FILE), "utf8"))).toEqual({ activeDevice: "ds_1", tab: "journal" });
    expect(await store.loadPreferences()).toEqual({ activeDevice: "ds_1", tab: "journal" });
  });

  it("resets damaged preferences instead of failing", async () => {
    await fs.writeFile(path.join(dir, PREFERENCES_FILE), "{not json");
    const store = createDesktopStore({ userDataDir: dir, safeStorage: fakeSafeStorage(), platform: "linux" });
    expect(await store.loadPreferences()).toEqual({});
    await fs.writeFile(path.join(dir, PREFERENCES_FILE), "[1,2]");
    expect(await store.loadPreferences()).toEqual({});
  });
});
