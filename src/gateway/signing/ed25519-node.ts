// Ed25519 on the gateway's hot path: every request's signature is verified and every answer and event
// signed. Two engines give the same results:
// - libsodium (sodium-native's prebuilt N-API addon), used wherever it loads: about twice as fast as
//   OpenSSL here (verify ~60 against ~125 µs, sign ~20 against ~42 µs on the bench machine), the largest
//   cut available in a call's CPU (bench/README.md, issue 11);
// - node:crypto (OpenSSL), where the addon does not load (a platform without a prebuild).
// Signatures are identical (Ed25519 signing is deterministic; a self-test at load checks it). Verdicts
// are node:crypto's: libsodium's acceptances are a subset of OpenSSL's (the same cofactorless
// equation, plus refusals of small-order and non-canonical points), so an acceptance stands, and the
// one refusal OpenSSL would not make (an identity R, see verify) is decided by OpenSSL.
import { createPrivateKey, createPublicKey, sign, verify, type KeyObject } from "node:crypto";
import { createRequire } from "node:module";
import { LRUCache } from "lru-cache";
import { isValidPublicKey } from "../../shared/ed25519.js";
import { PUBLIC_KEY_BYTES, SIGNATURE_BYTES } from "../../shared/protocol.js";

const PKCS8_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex");
const SPKI_PREFIX = Buffer.from("302a300506032b6570032100", "hex");

/** The slice of sodium-native's API used here (its public, documented functions). */
interface Sodium {
  crypto_sign_seed_keypair(publicKey: Uint8Array, secretKey: Uint8Array, seed: Uint8Array): void;
  crypto_sign_detached(signature: Uint8Array, message: Uint8Array, secretKey: Uint8Array): void;
  crypto_sign_verify_detached(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean;
}

export type Ed25519EngineName = "libsodium" | "node:crypto";

export interface Ed25519Engine {
  readonly name: Ed25519EngineName;
  /** libsodium, when this engine uses it. */
  readonly sodium: Sodium | undefined;
  /** Where sodium-native was loaded from: the signing pool's workers load the same file. */
  readonly sodiumPath: string | undefined;
  /** Why libsodium is not used, when it is not (GET /emulator/v1/status shows it, the gateway logs it). */
  readonly whyNotLibsodium?: string;
}

/** The seed as node:crypto's KeyObject (wrapped in the fixed PKCS#8 prefix), and its raw public key. */
function openSslKey(seed: Uint8Array): { keyObject: KeyObject; publicKey: Uint8Array } {
  const keyObject = createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, seed]), format: "der", type: "pkcs8" });
  const spki = createPublicKey(keyObject).export({ format: "der", type: "spki" });
  return { keyObject, publicKey: new Uint8Array(spki.subarray(SPKI_PREFIX.length)) };
}

/** Signs and verifies a fixed message with libsodium and compares with node:crypto: an addon that loads but disagrees is not used. */
function agreesWithNodeCrypto(sodium: Sodium): boolean {
  const seed = new Uint8Array(32).fill(7);
  const message = new TextEncoder().encode("galaxy gateway emulator: Ed25519 self-test");
  const publicKey = new Uint8Array(32);
  const secretKey = new Uint8Array(64);
  sodium.crypto_sign_seed_keypair(publicKey, secretKey, seed);
  const signature = new Uint8Array(SIGNATURE_BYTES);
  sodium.crypto_sign_detached(signature, message, secretKey);
  const openssl = openSslKey(seed);
  return (
    Buffer.from(publicKey).equals(openssl.publicKey) &&
    sign(null, message, openssl.keyObject).equals(signature) &&
    sodium.crypto_sign_verify_detached(signature, message, publicKey)
  );
}

function loadEngine(): Ed25519Engine {
  // require, not import: a platform without a prebuild must fall back instead of failing to start.
  const require = createRequire(import.meta.url);
  let sodium: Sodium;
  let sodiumPath: string;
  try {
    sodium = require("sodium-native") as Sodium;
    sodiumPath = require.resolve("sodium-native");
  } catch (err) {
    return Object.freeze({ ...NODE_CRYPTO_ENGINE, whyNotLibsodium: `sodium-native did not load (${(err as Error).message.split("\n")[0]})` });
  }
  let agrees: boolean;
  try {
    agrees = agreesWithNodeCrypto(sodium);
  } catch {
    agrees = false;
  }
  if (!agrees) return Object.freeze({ ...NODE_CRYPTO_ENGINE, whyNotLibsodium: "sodium-native's self-test disagreed with node:crypto" });
  return Object.freeze({ name: "libsodium", sodium, sodiumPath });
}

export const NODE_CRYPTO_ENGINE: Ed25519Engine = Object.freeze({ name: "node:crypto", sodium: undefined, sodiumPath: undefined });
/** libsodium where it loads and agrees with node:crypto, else node:crypto. Loaded once per process; frozen. */
export const DEFAULT_ENGINE: Ed25519Engine = loadEngine();

/** A private key in both engines' forms: OpenSSL's KeyObject, and libsodium's 64-byte secret key (seed ‖ public key). */
export interface SigningKey {
  readonly keyObject: KeyObject;
  readonly publicKey: Uint8Array;
  readonly sodiumSecretKey: Uint8Array | undefined;
  readonly engine: Ed25519Engine;
}

export function privateKeyFromSeed(seed: Uint8Array, engine: Ed25519Engine = DEFAULT_ENGINE): SigningKey {
  if (seed.length !== 32) throw new Error("an Ed25519 seed is 32 bytes");
  const { keyObject, publicKey } = openSslKey(seed);
  let sodiumSecretKey: Uint8Array | undefined;
  if (engine.sodium) {
    sodiumSecretKey = new Uint8Array(64);
    engine.sodium.crypto_sign_seed_keypair(new Uint8Array(32), sodiumSecretKey, seed);
  }
  return { keyObject, publicKey, sodiumSecretKey, engine };
}

export function signWith(key: SigningKey, message: Uint8Array): Uint8Array {
  const { sodium } = key.engine;
  if (sodium && key.sodiumSecretKey) {
    const signature = new Uint8Array(SIGNATURE_BYTES);
    sodium.crypto_sign_detached(signature, message, key.sodiumSecretKey);
    return signature;
  }
  return sign(null, message, key.keyObject);
}

/**
 * Strict verifier with a cache of parsed keys. A key that is not a canonical, full-order point is
 * cached as invalid and verifies nothing (OpenSSL alone would accept small-order keys).
 */
export class Ed25519Verifier {
  private readonly keys = new LRUCache<string, KeyObject | false>({ max: 100_000 });

  constructor(readonly engine: Ed25519Engine = DEFAULT_ENGINE) {}

  verify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
    if (signature.length !== SIGNATURE_BYTES || publicKey.length !== PUBLIC_KEY_BYTES) return false;
    const key = this.keyObject(publicKey);
    if (!key) return false;
    const { sodium } = this.engine;
    if (sodium) {
      if (sodium.crypto_sign_verify_detached(signature, message, publicKey)) return true;
      // libsodium also refuses an R of small order, which RFC 8032 and OpenSSL accept. With a key of
      // prime order (the key check above), [s]B − [k]A is of prime order, so the one small-order R
      // that can verify is the identity: only then does OpenSSL decide. Any other refusal stands,
      // so a bad signature costs libsodium's check alone.
      if (!isIdentityEncoding(signature)) return false;
    }
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

/** R (the signature's first 32 bytes) is the identity point's encoding: 0x01, then zeros. */
function isIdentityEncoding(signature: Uint8Array): boolean {
  if (signature[0] !== 1) return false;
  for (let i = 1; i < 32; i++) if (signature[i] !== 0) return false;
  return true;
}
