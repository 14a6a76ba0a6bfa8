// Origin helpers shared by the navigation guard, the CSP injector and the IPC sender check.
// Everything is compared by serialised origin (scheme://host:port), never by string prefix:
// "http://127.0.0.1:8787.evil.example" must not pass for "http://127.0.0.1:8787".

/** The origin of `url`, or null when it does not parse or is opaque (file:, data:, about:blank). */
export function originOf(url: string): string | null {
  try {
    const origin = new URL(url).origin;
    return origin === "null" ? null : origin;
  } catch {
    return null;
  }
}

export function isConsoleUrl(url: string, consoleOrigin: string): boolean {
  return originOf(url) === consoleOrigin;
}

/** The console origin for the emulator's URL; only http(s) origins can be trusted as the console. */
export function consoleOriginOf(emulatorUrl: string): string {
  const url = new URL(emulatorUrl);
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new Error(`emulator URL must be http(s), got ${url.protocol}`);
  }
  return url.origin;
}
