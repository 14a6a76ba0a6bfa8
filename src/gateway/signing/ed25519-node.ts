// Ed25519 on node:crypto (OpenSSL): the gateway's hot path. Raw 32-byte keys are wrapped in their
// fixed DER prefixes once and cached as KeyObjects, so a call costs one sign or verify.
import { createPrivateKey, createPublicKey, sign, verify, type KeyObject } from "node:crypto";
import { LRUCache } from "lru-cache";
import { isValidPublicKey } from "../../shared/ed25519.js";
import { PUBLIC_KEY_BYTES, SIGNATURE_BYTES } from "../../shared/protocol.js";

const PKCS8_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex");
const SPKI_PREFIX = Buffer.from("302a300506032b6570032100", "hex");

export function privateKeyFromSeed(seed: Uint8Array): KeyObject {
  if (seed.length !== 32) throw new Error("an Ed25519 seed is 32 bytes");
  return createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, seed]), format: "der", type: "pkcs8" });
}

export function rawPublicKey(privateKey: KeyObject): Uint8Array {
  const spki = createPublicKey(privateKey).export({ format: "der", type: "spki" });
  return new Uint8Array(spki.subarray(SPKI_PREFIX.length));
}

export function signWith(privateKey: KeyObject, message: Uint8Array): Uint8Array {
  return sign(null, message, privateKey);
}

/**
 * Strict verifier with a cache of parsed keys. A key that is not a canonical, full-order point is
 * cached as invalid and verifies nothing (OpenSSL alone would accept small-order keys).
 */
export class Ed25519Verifier {
  private readonly keys = new LRUCache<string, KeyObject | false>({ max: 100_000 });

  verify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
    if (signature.length !== SIGNATURE_BYTES || publicKey.length !== PUBLIC_KEY_BYTES) return false;
    const key = this.keyObject(publicKey);
    if (!key) return false;
    try {
      return verify(null, message, key, signature);
    } catch {
      return false;
    }
  }

  private keyObject(publicKey: Uint8Array): KeyObject | false {
    const id = Buffer.from(publicKey).toString("base64");
    let key = this.keys.get(id);
    if (key === undefined) {
      key = isValidPublicKey(publicKey)
        ? createPublicKey({ key: Buffer.concat([SPKI_PREFIX, publicKey]), format: "der", type: "spki" })
        : false;
      this.keys.set(id, key);
    }
    return key;
  }
}
