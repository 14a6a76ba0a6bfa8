// The device key file of `conform --device-key FILE --session ID`: the Ed25519 private key of a device
// session that already exists on the target (signed in by whatever means the real gateway offers).
// Three spellings are accepted, each unambiguous:
// - a PKCS#8 PEM Ed25519 private key, as `openssl genpkey -algorithm ed25519` writes it;
// - the 32-byte seed (RFC 8032 private key) as base64url without padding: 43 characters;
// - the same seed as hex: 64 characters (how the web console keeps its devices).
// Surrounding white space is ignored.
import { createPrivateKey } from "node:crypto";
import { fromBase64Url, fromHex } from "../shared/bytes.js";

export class DeviceKeyError extends Error {}

export const DEVICE_KEY_FORMATS =
  "a PKCS#8 PEM Ed25519 private key (openssl genpkey -algorithm ed25519), or its 32-byte seed as base64url (43 characters) or hex (64 characters)";

/** The 32-byte seed held by a device key file's text. */
export function parseDeviceKey(text: string): Uint8Array {
  const trimmed = text.trim();
  if (trimmed.startsWith("-----BEGIN")) return seedFromPem(trimmed);
  if (/^[0-9a-fA-F]{64}$/.test(trimmed)) return fromHex(trimmed);
  if (/^[A-Za-z0-9_-]{43}$/.test(trimmed)) {
    try {
      return fromBase64Url(trimmed);
    } catch {
      throw new DeviceKeyError("not a device key: 43 characters, but not canonical base64url");
    }
  }
  throw new DeviceKeyError(`not a device key: expected ${DEVICE_KEY_FORMATS}`);
}

function seedFromPem(pem: string): Uint8Array {
  let key;
  try {
    key = createPrivateKey(pem);
  } catch (err) {
    throw new DeviceKeyError(`not a readable PEM private key (${err instanceof Error ? err.message : String(err)})`);
  }
  if (key.asymmetricKeyType !== "ed25519") throw new DeviceKeyError(`a ${key.asymmetricKeyType ?? "unknown"} key, not Ed25519`);
  // The JWK form of an OKP private key carries the seed as `d` (RFC 8037).
  const { d } = key.export({ format: "jwk" });
  if (typeof d !== "string") throw new DeviceKeyError("the PEM key has no private part");
  return fromBase64Url(d);
}
