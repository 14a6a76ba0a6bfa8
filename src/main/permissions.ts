// The console needs one browser permission: writing to the clipboard (its copy buttons and "Copy as",
// on a click). Every other request and check (camera, notifications, clipboard-read, HID, …) is
// denied, so nothing prompts and nothing else is silently granted.

/** Write-only, sanitized clipboard access: the page can put text there, never read what is there. */
export const GRANTED_PERMISSIONS: ReadonlySet<string> = new Set(["clipboard-sanitized-write"]);

/** The slice of Session this needs (Electron's Session satisfies it). */
export interface PermissionSession {
  setPermissionRequestHandler(
    handler: ((webContents: unknown, permission: string, callback: (granted: boolean) => void) => void) | null,
  ): void;
  setPermissionCheckHandler(handler: ((webContents: unknown, permission: string) => boolean) | null): void;
  setDevicePermissionHandler?(handler: ((details: unknown) => boolean) | null): void;
}

export function restrictPermissions(session: PermissionSession, log: (message: string) => void = () => {}): void {
  session.setPermissionRequestHandler((_webContents, permission, callback) => {
    const granted = GRANTED_PERMISSIONS.has(permission);
    if (!granted) log(`denied permission request: ${permission}`);
    callback(granted);
  });
  session.setPermissionCheckHandler((_webContents, permission) => GRANTED_PERMISSIONS.has(permission));
  // WebUSB / WebHID / Web Serial device grants go through their own handler.
  session.setDevicePermissionHandler?.(() => false);
}
