// A signed-in device: its session, its private key, and the gateway key it pinned. `exportDevice`
// gives the JSON a client stores (the seed is a secret: store it as one), `parseDeviceExport` takes it
// back with every field checked, so a corrupted file fails loudly instead of signing garbage.
import { fromBase64Url, toBase64Url } from "../shared/bytes.js";
import { isValidPublicKey } from "../shared/ed25519.js";
import { PUBLIC_KEY_BYTES } from "../shared/protocol.js";
import type { DeviceIdentity } from "../shared/sdk.js";

export const DEVICE_EXPORT_FORMAT = "galaxy-gateway-device/v1";
const SEED_BYTES = 32;

export interface Device extends DeviceIdentity {
  userId: string;
}

/** A device as JSON: every binary field base64url without padding (PROTOCOL.md §2). */
export interface DeviceExport {
  format: typeof DEVICE_EXPORT_FORMAT;
  device_session_id: string;
  user_id: string;
  /** The 32-byte Ed25519 seed (RFC 8032 private key). Secret. */
  seed: string;
  /** The gateway response-signing key this device pinned. */
  gateway_public_key: string;
}

export function exportDeviceJson(device: Device, gatewayPublicKey: Uint8Array): DeviceExport {
  return {
    format: DEVICE_EXPORT_FORMAT,
    device_session_id: device.deviceSessionId,
    user_id: device.userId,
    seed: toBase64Url(device.seed),
    gateway_public_key: toBase64Url(gatewayPublicKey),
  };
}

/** Checks an exported device; throws a TypeError naming the first bad field. */
export function parseDeviceExport(value: unknown): { device: Device; gatewayPublicKey: Uint8Array } {
  if (typeof value !== "object" || value === null) throw new TypeError("device export: not an object");
  const v = value as Record<string, unknown>;
  if (v["format"] !== DEVICE_EXPORT_FORMAT) throw new TypeError(`device export: format must be "${DEVICE_EXPORT_FORMAT}"`);
  const text = (name: string): string => {
    const field = v[name];
    if (typeof field !== "string" || field === "") throw new TypeError(`device export: ${name} must be a non-empty string`);
    return field;
  };
  const seed = bytesField(text("seed"), "seed", SEED_BYTES);
  const gatewayPublicKey = parseGatewayKey(text("gateway_public_key"), "device export: gateway_public_key");
  return { device: { deviceSessionId: text("device_session_id"), userId: text("user_id"), seed }, gatewayPublicKey };
}

/** A pinned gateway key, given as base64url or raw bytes: 32 bytes and a valid Ed25519 point. */
export function parseGatewayKey(key: string | Uint8Array, label = "gatewayPublicKey"): Uint8Array {
  const bytes = typeof key === "string" ? bytesField(key, label, PUBLIC_KEY_BYTES) : key;
  if (!isValidPublicKey(bytes)) throw new TypeError(`${label}: not a valid Ed25519 public key (32 bytes)`);
  return bytes;
}

function bytesField(text: string, label: string, length: number): Uint8Array {
  let bytes: Uint8Array;
  try {
    bytes = fromBase64Url(text);
  } catch (e) {
    throw new TypeError(`${label}: ${(e as Error).message}`);
  }
  if (bytes.length !== length) throw new TypeError(`${label}: must be ${length} bytes, got ${bytes.length}`);
  return bytes;
}
