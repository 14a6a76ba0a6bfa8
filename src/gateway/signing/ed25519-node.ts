// Ed25519 on the gateway's hot path: every request's signature is verified and every answer and event
// signed. Two engines give the same results:
// - libsodium (sodium-native's prebuilt N-API addon), used wherever it loads: about twice as fast as
//   OpenSSL here (verify ~60 against ~125 µs, sign ~20 against ~42 µs on the bench machine), the largest
//   cut available in a call's CPU (bench/README.md, issue 11);
// - node:crypto (OpenSSL), where the addon does not load (a platform without a prebuild).
// Signatures are identical (Ed25519 signing is deterministic). Verdicts are node:crypto's: libsodium's
// acceptances are a subset of OpenSSL's (the same cofactorless equation, plus refusals of small-order
// and non-canonical points), so an acceptance stands and a refusal is decided again by OpenSSL.
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
}

function loadSodium(): Pick<Ed25519Engine, "sodium" | "sodiumPath"> {
  // require, not import: a platform without a prebuild must fall back instead of failing to start.
  const require = createRequire(import.meta.url);
  try {
    return { sodium: require("sodium-native") as Sodium, sodiumPath: require.resolve("sodium-native") };
  } catch {
    return { sodium: undefined, sodiumPath: undefined }; // no prebuild for this platform: node:crypto alone
  }
}

export const NODE_CRYPTO_ENGINE: Ed25519Engine = { name: "node:crypto", sodium: undefined, sodiumPath: undefined };
/** libsodium where it loads, else node:crypto. Loaded once per process and never changed. */
export const DEFAULT_ENGINE: Ed25519Engine = ((loaded) => (loaded.sodium ? { name: "libsodium", ...loaded } : NODE_CRYPTO_ENGINE))(loadSodium());

/** A private key in both engines' forms: OpenSSL's KeyObject, and libsodium's 64-byte secret key (seed ‖ public key). */
export interface SigningKey {
  readonly keyObject: KeyObject;
  readonly publicKey: Uint8Array;
  readonly sodiumSecretKey: Uint8Array | undefined;
  readonly engine: Ed25519Engine;
}

export function privateKeyFromSeed(seed: Uint8Array, engine: Ed25519Engine = DEFAULT_ENGINE): SigningKey {
  if (seed.length !== 32) throw new Error("an Ed25519 seed is 32 bytes");
  const keyObject = createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, seed]), format: "der", type: "pkcs8" });
  const spki = createPublicKey(keyObject).export({ format: "der", type: "spki" });
  const publicKey = new Uint8Array(spki.subarray(SPKI_PREFIX.length));
  let sodiumSecretKey: Uint8Array | undefined;
  if (engine.sodium) {
    sodiumSecretKey = new Uint8Array(64);
    engine.sodium.crypto_sign_seed_keypair(new Uint8Array(32), sodiumSecretKey, seed);
  }
  return { keyObject, publicKey, sodiumSecretKey, engine };
}

export function rawPublicKey(key: SigningKey): Uint8Array {
  return key.publicKey;
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

  constructor(private readonly engine: Ed25519Engine = DEFAULT_ENGINE) {}

  get engineName(): Ed25519EngineName {
    return this.engine.name;
  }

  verify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
    if (signature.length !== SIGNATURE_BYTES || publicKey.length !== PUBLIC_KEY_BYTES) return false;
    const key = this.keyObject(publicKey);
    if (!key) return false;
    // libsodium also refuses a signature whose R is a small-order point (the identity, for a key of
    // full order), which RFC 8032 and OpenSSL accept: its refusals are decided by OpenSSL. A bad
    // signature therefore costs both checks; a good one, libsodium's alone.
    if (this.engine.sodium?.crypto_sign_verify_detached(signature, message, publicKey)) return true;
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
