import { describe, expect, it } from "vitest";
import { restrictPermissions, type PermissionSession } from "../../src/main/permissions.js";

describe("permission handlers", () => {
  it("deny every request, check and device grant but clipboard writes", () => {
    const handlers: Record<string, any> = {};
    const session: PermissionSession = {
      setPermissionRequestHandler: (h) => (handlers.request = h),
      setPermissionCheckHandler: (h) => (handlers.check = h),
      setDevicePermissionHandler: (h) => (handlers.device = h),
    };
    restrictPermissions(session);
    for (const permission of ["media", "notifications", "clipboard-read", "geolocation", "openExternal", "hid", "unknown"]) {
      const answers: boolean[] = [];
      handlers.request({}, permission, (granted: boolean) => answers.push(granted), {});
      expect(answers).toEqual([false]);
      expect(handlers.check({}, permission, "http://127.0.0.1:8787", {})).toBe(false);
    }
    expect(handlers.device({ deviceType: "usb" })).toBe(false);
    // The copy buttons: write-only clipboard access is granted, reading stays denied (above).
    const answers: boolean[] = [];
    handlers.request({}, "clipboard-sanitized-write", (granted: boolean) => answers.push(granted), {});
    expect(answers).toEqual([true]);
    expect(handlers.check({}, "clipboard-sanitized-write", "http://127.0.0.1:8787", {})).toBe(true);
  });

  it("works on sessions without a device handler", () => {
    const session: PermissionSession = { setPermissionRequestHandler: () => {}, setPermissionCheckHandler: () => {} };
    expect(() => restrictPermissions(session)).not.toThrow();
  });
});
