// The console needs no browser permission (camera, notifications, clipboard-read, HID, …): deny
// every request and every check, so nothing prompts and nothing is silently granted.

/** The slice of Session this needs (Electron's Session satisfies it). */
export interface PermissionSession {
  setPermissionRequestHandler(
    handler: ((webContents: unknown, permission: string, callback: (granted: boolean) => void) => void) | null,
  ): void;
  setPermissionCheckHandler(handler: ((webContents: unknown, permission: string) => boolean) | null): void;
  setDevicePermissionHandler?(handler: ((details: unknown) => boolean) | null): void;
}

export function denyAllPermissions(session: PermissionSession, log: (message: string) => void = () => {}): void {
  session.setPermissionRequestHandler((_webContents, permission, callback) => {
    log(`denied permission request: ${permission}`);
    callback(false);
  });
  session.setPermissionCheckHandler(() => false);
  // WebUSB / WebHID / Web Serial device grants go through their own handler.
  session.setDevicePermissionHandler?.(() => false);
}
