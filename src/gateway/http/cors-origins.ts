// The `cors_origins` setting: which browser origins the public surface grants CORS to. An entry is an
// exact origin (`scheme://host[:port]`) or a port wildcard (`scheme://host:*`); entries are normalised
// to the form browsers send in `Origin` (lower case, default port dropped, canonical IPv6/IDN host), so
// matching a request is two set lookups.

/** Loopback dev servers on any port: a web client on `npm run dev` works with zero setup. */
export const DEFAULT_CORS_ORIGINS: readonly string[] = ["http://localhost:*", "http://127.0.0.1:*", "http://[::1]:*"];

/** A DNS name is at most 253 characters; a scheme and a port add a few dozen. */
const MAX_ORIGIN_LENGTH = 300;
/** Matching is a set lookup whatever the size; the bound keeps the config (and GET /config) small. */
export const MAX_CORS_ORIGINS = 100;

const SHAPE_HINT = "must be an origin such as http://localhost:5173 or http://localhost:* (scheme://host[:port], no path, query or user)";
/** scheme://host[:port|:*] with at most a trailing "/"; IPv6 hosts in brackets. */
const PATTERN_SHAPE = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/(\[[0-9A-Fa-f:.]+\]|[^\s/?#@:[\]\\]+)(?::([0-9]{1,5}|\*))?\/?$/;
/** What a browser sends: already lower case and without a default port. */
const ORIGIN_SHAPE = /^([a-z][a-z0-9+.-]*:\/\/(?:\[[0-9a-f:.]+\]|[^\s/?#@:[\]\\]+))(?::([0-9]{1,5}))?$/;

export class OriginPatternError extends Error {}

/**
 * Validates one entry and returns its normal form (`https://game.example`, `http://localhost:*`);
 * throws OriginPatternError with a message that says what is wrong.
 */
export function normaliseOriginPattern(entry: string): string {
  const text = entry.trim();
  if (text === "*") {
    throw new OriginPatternError('"*" is not accepted: list each origin, or use a port wildcard such as http://localhost:*');
  }
  if (text.toLowerCase() === "null") {
    throw new OriginPatternError('"null" origins (file:// pages, sandboxed frames) cannot be granted: serve the page over http');
  }
  if (text.length > MAX_ORIGIN_LENGTH) throw new OriginPatternError(`must be at most ${MAX_ORIGIN_LENGTH} characters`);
  const m = PATTERN_SHAPE.exec(text);
  if (!m) {
    const hasPath = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/]+\/./.test(text) || /[?#]/.test(text);
    throw new OriginPatternError(hasPath ? `${SHAPE_HINT}: an origin has no path` : SHAPE_HINT);
  }
  const scheme = m[1]!.toLowerCase();
  const port = m[3];
  if (m[2]!.includes("*")) throw new OriginPatternError("only the port may be a wildcard (http://host:*): list each host");
  if (port !== undefined && port !== "*" && Number(port) > 65_535) throw new OriginPatternError("port must be 0..65535 or *");
  if (scheme !== "http" && scheme !== "https") {
    // Custom schemes (tauri://, capacitor://…) have no default port and no host canonicalisation.
    return `${scheme}://${m[2]!.toLowerCase()}${port === undefined ? "" : `:${port}`}`;
  }
  let url: URL;
  try {
    url = new URL(`${scheme}://${m[2]}${port === undefined || port === "*" ? "" : `:${port}`}`);
  } catch {
    throw new OriginPatternError(`${SHAPE_HINT}: "${m[2]}" is not a valid host`);
  }
  return port === "*" ? `${url.protocol}//${url.hostname}:*` : url.origin;
}

/** Decides whether a request's `Origin` header is in a (normalised) list. */
export type OriginMatcher = (origin: string | undefined) => boolean;

export function originMatcher(patterns: readonly string[]): OriginMatcher {
  const exact = new Set<string>();
  const anyPort = new Set<string>(); // "scheme://host" of the port wildcards
  for (const p of patterns) {
    if (p.endsWith(":*")) anyPort.add(p.slice(0, -2));
    else exact.add(p);
  }
  return (origin) => {
    if (origin === undefined) return false;
    // Anything else ("null", a list, a path, upper case) is not what a browser sends for a listed origin.
    const m = ORIGIN_SHAPE.exec(origin);
    return m !== null && (exact.has(origin) || anyPort.has(m[1]!));
  };
}
