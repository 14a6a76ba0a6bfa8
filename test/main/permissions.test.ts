import { describe, expect, it } from "vitest";
import { denyAllPermissions, type PermissionSession } from "../../src/main/permissions.js";

describe("permission handlers", () => {
  it("deny every request, check and device grant", () => {
    const handlers: Record<string, any> = {};
    const session: PermissionSession = {
      setPermissionRequestHandler: (h) => (handlers.request = h),
      setPermissionCheckHandler: (h) => (handlers.check = h),
      setDevicePermissionHandler: (h) => (handlers.device = h),
    };
    denyAllPermissions(session);
    for (const permission of ["media", "notifications", "clipboard-read", "geolocation", "openExternal", "hid", "unknown"]) {
      const answers: boolean[] = [];
      handlers.request({}, permission, (granted: boolean) => answers.push(granted), {});
      expect(answers).toEqual([false]);
      expect(handlers.check({}, permission, "http://127.0.0.1:8787", {})).toBe(false);
    }
    expect(handlers.device({ deviceType: "usb" })).toBe(false);
  });

  it("works on sessions without a device handler", () => {
    const session: PermissionSession = { setPermissionRequestHandler: () => {}, setPermissionCheckHandler: () => {} };
    expect(() => denyAllPermissions(session)).not.toThrow();
  });
});
