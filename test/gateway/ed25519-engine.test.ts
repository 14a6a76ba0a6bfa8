// The gateway's Ed25519 (src/gateway/signing/ed25519-node.ts): libsodium where its prebuilt addon
// loads, node:crypto otherwise, with the same signatures and the same verdicts. The first test fails
// loudly when sodium-native stops loading on this platform (an upgrade, a broken install): the gateway
// would still be correct, on node:crypto, but about twice as slow at its crypto.
import { createHash, createPublicKey, randomBytes, sign, verify } from "node:crypto";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { DEFAULT_ENGINE, Ed25519Verifier, NODE_CRYPTO_ENGINE, privateKeyFromSeed, signWith } from "../../src/gateway/signing/ed25519-node.js";
import type { RunningEmulator } from "../../src/emulator/start.js";
import { getJson, startTestEmulator } from "../support/emulator.js";

const sodiumVerifier = new Ed25519Verifier(DEFAULT_ENGINE);
const opensslVerifier = new Ed25519Verifier(NODE_CRYPTO_ENGINE);

const L = 2n ** 252n + 27742317777372353535851937790883648493n;
const leToBigint = (b: Uint8Array) => BigInt("0x" + Buffer.from(b).reverse().toString("hex"));
const bigintToLe32 = (n: bigint) => Buffer.from(n.toString(16).padStart(64, "0"), "hex").reverse();

describe("the gateway's Ed25519 engine", () => {
  it("is libsodium on this platform (sodium-native ships a prebuilt addon for it)", () => {
    expect(DEFAULT_ENGINE.whyNotLibsodium).toBeUndefined();
    expect(DEFAULT_ENGINE.name, "sodium-native did not load: the gateway fell back to node:crypto").toBe("libsodium");
    expect(sodiumVerifier.engine.name).toBe("libsodium");
    expect(Object.isFrozen(DEFAULT_ENGINE) && Object.isFrozen(NODE_CRYPTO_ENGINE)).toBe(true);
  });

  let emulator: RunningEmulator | undefined;
  afterAll(() => emulator?.close());

  it("is shown by GET /emulator/v1/status", async () => {
    emulator = await startTestEmulator();
    const { status, json } = await getJson(`${emulator.url}/emulator/v1/status`);
    expect(status).toBe(200);
    expect(json.ed25519).toEqual({ engine: "libsodium" });
  });

  it("accepts good signatures with libsodium alone (the OpenSSL re-check is for refusals only), views into larger buffers included", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ maxLength: 300 }), fc.nat(64), (seed, message, offset) => {
        const key = privateKeyFromSeed(seed, DEFAULT_ENGINE);
        const signature = signWith(key, message);
        // As protobuf decoding hands them over: views at an offset into one larger buffer.
        const buffer = new Uint8Array(offset + 64 + 32 + message.length + 7);
        buffer.set(signature, offset);
        buffer.set(key.publicKey, offset + 64);
        buffer.set(message, offset + 96);
        const sig = buffer.subarray(offset, offset + 64);
        const publicKey = buffer.subarray(offset + 64, offset + 96);
        const msg = buffer.subarray(offset + 96, offset + 96 + message.length);
        expect(DEFAULT_ENGINE.sodium!.crypto_sign_verify_detached(sig, msg, publicKey)).toBe(true);
        expect(sodiumVerifier.verify(sig, msg, publicKey)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it("signs exactly as node:crypto does (Ed25519 is deterministic), for any seed and message", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ maxLength: 600 }), (seed, message) => {
        const sodiumKey = privateKeyFromSeed(seed, DEFAULT_ENGINE);
        const opensslKey = privateKeyFromSeed(seed, NODE_CRYPTO_ENGINE);
        expect(sodiumKey.sodiumSecretKey).toBeDefined();
        expect(Buffer.from(sodiumKey.publicKey)).toEqual(Buffer.from(opensslKey.publicKey));
        expect(Buffer.from(signWith(sodiumKey, message))).toEqual(sign(null, message, opensslKey.keyObject));
      }),
      { numRuns: 200 },
    );
  });

  it("gives node:crypto's verdict on good signatures and on every one-bit change of signature, message or key", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ maxLength: 300 }),
        fc.constantFrom("none", "signature", "message", "key"),
        fc.nat(),
        (seed, message, part, bit) => {
          const key = privateKeyFromSeed(seed, DEFAULT_ENGINE);
          const signature = Uint8Array.from(signWith(key, message));
          const publicKey = Uint8Array.from(key.publicKey);
          const msg = Uint8Array.from(message);
          const target = part === "signature" ? signature : part === "message" ? msg : part === "key" ? publicKey : undefined;
          if (target && target.length > 0) target[(bit >> 3) % target.length]! ^= 1 << (bit & 7);
          const expected = part === "none" || (part === "message" && msg.length === 0);
          expect(opensslVerifier.verify(signature, msg, publicKey)).toBe(expected);
          expect(sodiumVerifier.verify(signature, msg, publicKey)).toBe(expected);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("accepts, as node:crypto and RFC 8032 do, a valid signature whose R is the identity point (libsodium alone refuses it)", () => {
    // Only the key's owner can make one: R = identity, s = k·a with k = H(R ‖ A ‖ M), so [s]B = R + [k]A.
    const seed = randomBytes(32);
    const key = privateKeyFromSeed(seed, DEFAULT_ENGINE);
    const publicKey = key.publicKey;
    const h = createHash("sha512").update(seed).digest();
    h[0]! &= 248;
    h[31]! &= 127;
    h[31]! |= 64;
    const a = leToBigint(h.subarray(0, 32));
    const R = Buffer.alloc(32);
    R[0] = 1;
    const message = Buffer.from("a signature only its key's owner could make");
    const k = leToBigint(createHash("sha512").update(Buffer.concat([R, publicKey, message])).digest()) % L;
    const signature = Buffer.concat([R, bigintToLe32((k * a) % L)]);
    expect(verify(null, message, createPublicKey(key.keyObject), signature)).toBe(true);
    expect(DEFAULT_ENGINE.sodium!.crypto_sign_verify_detached(signature, message, publicKey)).toBe(false);
    expect(sodiumVerifier.verify(signature, message, publicKey)).toBe(true);
    expect(opensslVerifier.verify(signature, message, publicKey)).toBe(true);
  });

  it("refuses, as node:crypto does, a signature whose s is not reduced (s + L)", () => {
    const key = privateKeyFromSeed(randomBytes(32), DEFAULT_ENGINE);
    const message = Buffer.from("malleated");
    const signature = Buffer.from(signWith(key, message));
    const s = leToBigint(signature.subarray(32)) + L;
    const malleated = Buffer.concat([signature.subarray(0, 32), bigintToLe32(s)]);
    expect(opensslVerifier.verify(malleated, message, key.publicKey)).toBe(false);
    expect(sodiumVerifier.verify(malleated, message, key.publicKey)).toBe(false);
  });
});
