// Validation of what the renderer sends over IPC. The renderer is web content: whatever arrives is
// untrusted data until it has the exact shape of the bridge contract (src/shared/bridge.ts).
import type { StoredDevice } from "../shared/bridge.js";

export const MAX_DEVICES = 256;
export const MAX_PREFERENCES_BYTES = 64 * 1024;
const MAX_JSON_DEPTH = 32;

export class InvalidPayloadError extends Error {
  override name = "InvalidPayloadError";
}

const DEVICE_FIELDS = new Set(["deviceSessionId", "userId", "email", "seedHex", "gatewayKey", "createdAtMs", "label"]);

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

function boundedString(value: unknown, field: string, max: number, pattern?: RegExp): string {
  if (typeof value !== "string" || value.length === 0 || value.length > max) {
    throw new InvalidPayloadError(`${field} must be a non-empty string of at most ${max} characters`);
  }
  if (pattern && !pattern.test(value)) throw new InvalidPayloadError(`${field} has an invalid format`);
  return value;
}

function parseDevice(value: unknown, index: number): StoredDevice {
  const at = `devices[${index}]`;
  if (!isPlainObject(value)) throw new InvalidPayloadError(`${at} must be an object`);
  for (const key of Object.keys(value)) {
    if (!DEVICE_FIELDS.has(key)) throw new InvalidPayloadError(`${at} has an unexpected field "${key}"`);
  }
  const createdAtMs = value.createdAtMs;
  if (typeof createdAtMs !== "number" || !Number.isSafeInteger(createdAtMs) || createdAtMs < 0) {
    throw new InvalidPayloadError(`${at}.createdAtMs must be a non-negative integer`);
  }
  const device: StoredDevice = {
    deviceSessionId: boundedString(value.deviceSessionId, `${at}.deviceSessionId`, 256),
    userId: boundedString(value.userId, `${at}.userId`, 256),
    email: boundedString(value.email, `${at}.email`, 320),
    seedHex: boundedString(value.seedHex, `${at}.seedHex`, 64, /^[0-9a-f]{64}$/),
    gatewayKey: boundedString(value.gatewayKey, `${at}.gatewayKey`, 128, /^[A-Za-z0-9_-]+={0,2}$/),
    createdAtMs,
  };
  if (value.label !== undefined) device.label = boundedString(value.label, `${at}.label`, 200);
  return device;
}

/** A copy of `value` with exactly the StoredDevice fields, or InvalidPayloadError. */
export function parseDevices(value: unknown): StoredDevice[] {
  if (!Array.isArray(value)) throw new InvalidPayloadError("devices must be an array");
  if (value.length > MAX_DEVICES) throw new InvalidPayloadError(`at most ${MAX_DEVICES} devices can be stored`);
  const devices = value.map((item, index) => parseDevice(item, index));
  const ids = new Set(devices.map((d) => d.deviceSessionId));
  if (ids.size !== devices.length) throw new InvalidPayloadError("devices contain a duplicate deviceSessionId");
  return devices;
}

// Structured clone lets Maps, Dates, typed arrays … through IPC; JSON would silently mangle them,
// so only JSON-native values are accepted.
function assertJsonValue(value: unknown, path: string, depth: number): void {
  if (depth > MAX_JSON_DEPTH) throw new InvalidPayloadError(`${path} is nested too deeply`);
  if (value === null || typeof value === "string" || typeof value === "boolean") return;
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new InvalidPayloadError(`${path} must be a finite number`);
    return;
  }
  if (Array.isArray(value)) {
    value.forEach((item, i) => assertJsonValue(item, `${path}[${i}]`, depth + 1));
    return;
  }
  if (isPlainObject(value)) {
    for (const [key, item] of Object.entries(value)) assertJsonValue(item, `${path}.${key}`, depth + 1);
    return;
  }
  throw new InvalidPayloadError(`${path} is not a JSON value`);
}

/** Preferences: a plain JSON object of at most MAX_PREFERENCES_BYTES once serialised. */
export function parsePreferences(value: unknown): Record<string, unknown> {
  if (!isPlainObject(value)) throw new InvalidPayloadError("preferences must be a plain object");
  assertJsonValue(value, "preferences", 0);
  const json = JSON.stringify(value);
  if (new TextEncoder().encode(json).byteLength > MAX_PREFERENCES_BYTES) {
    throw new InvalidPayloadError(`preferences exceed ${MAX_PREFERENCES_BYTES} bytes`);
  }
  return JSON.parse(json) as Record<string, unknown>;
}
