// Strict RFC 8032 Ed25519 for the renderer and SDKs (@noble/ed25519 with zip215: false).
// The gateway uses node:crypto instead for speed; both must agree with Wycheproof.
import * as ed from "@noble/ed25519";
import { sha512 } from "@noble/hashes/sha2.js";
import { PUBLIC_KEY_BYTES, SIGNATURE_BYTES } from "./protocol.js";

ed.hashes.sha512 = sha512;

export function generateSeed(): Uint8Array {
  return ed.utils.randomSecretKey();
}

export function publicKeyFromSeed(seed: Uint8Array): Uint8Array {
  return ed.getPublicKey(seed);
}

export function sign(message: Uint8Array, seed: Uint8Array): Uint8Array {
  return ed.sign(message, seed);
}

/** Strict verification: canonical encodings only, cofactorless equation, never throws. */
export function verify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  if (signature.length !== SIGNATURE_BYTES || publicKey.length !== PUBLIC_KEY_BYTES) return false;
  if (!isValidPublicKey(publicKey)) return false;
  try {
    return ed.verify(signature, message, publicKey, { zip215: false });
  } catch {
    return false;
  }
}

/**
 * A key a session may be bound to: 32 bytes, a canonical encoding of a curve point, in the prime-order
 * subgroup and not of small order. Anything else could make forged signatures verify.
 */
export function isValidPublicKey(publicKey: Uint8Array): boolean {
  if (publicKey.length !== PUBLIC_KEY_BYTES) return false;
  try {
    const point = ed.Point.fromBytes(publicKey, false);
    return !point.isSmallOrder() && point.isTorsionFree();
  } catch {
    return false;
  }
}
