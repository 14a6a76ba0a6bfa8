// crypto.*: node:crypto Ed25519 on one core (one synchronous loop, nothing else running), over
// signing inputs of the size the gateway handles. limit_rps = 1 / (1/verify + 1/sign): the most one
// core can do when every request costs one verify (the client's signature) and one sign (the answer).
// node:crypto stays the yardstick the targets were set against; the engine the gateway signs and
// verifies with (libsodium where it loads, src/gateway/signing/ed25519-node.ts) is measured alongside.
import { createPublicKey, randomBytes, verify } from "node:crypto";
import { create } from "@bufbuild/protobuf";
import { RequestEnvelopeSchema, ResponseEnvelopeSchema } from "../src/shared/gen/galaxy/gateway/v1/gateway_pb.js";
import { requestSigningInput, responseSigningInput } from "../src/shared/signing-input.js";
import { DEFAULT_ENGINE, Ed25519Verifier, NODE_CRYPTO_ENGINE, privateKeyFromSeed, signWith } from "../src/gateway/signing/ed25519-node.js";

export interface CryptoResult {
  verify_per_s: number;
  sign_per_s: number;
  limit_rps: number;
  /** The gateway's own engine, through the gateway's verifier (its key cache included). */
  engine: { name: string; verify_per_s: number; sign_per_s: number };
}

export function measureCrypto(durationMs = 1_500): CryptoResult {
  const seed = randomBytes(32);
  const key = privateKeyFromSeed(seed, NODE_CRYPTO_ENGINE);
  const publicKey = createPublicKey(key.keyObject);
  const request = requestSigningInput(
    create(RequestEnvelopeSchema, {
      protocolVersion: 1,
      deviceSessionId: `ds_${randomBytes(16).toString("hex")}`,
      messageType: "user.profile.get",
      timestampMs: BigInt(Date.now()),
      requestId: "r-lx2k9q0c-1a-3k2j9d",
      payloadHash: randomBytes(32),
    }),
  );
  const response = responseSigningInput(
    create(ResponseEnvelopeSchema, {
      protocolVersion: 1,
      deviceSessionId: `ds_${randomBytes(16).toString("hex")}`,
      requestId: "r-lx2k9q0c-1a-3k2j9d",
      timestampMs: BigInt(Date.now()),
      resultCode: "ok",
      payloadHash: randomBytes(32),
    }),
  );
  const signature = signWith(key, request);

  const sign_per_s = opsPerSecond(durationMs, () => signWith(key, response));
  const verify_per_s = opsPerSecond(durationMs, () => {
    if (!verify(null, request, publicKey, signature)) throw new Error("verify failed");
  });
  const engineKey = privateKeyFromSeed(seed, DEFAULT_ENGINE);
  const verifier = new Ed25519Verifier(DEFAULT_ENGINE);
  const engine = {
    name: DEFAULT_ENGINE.name,
    sign_per_s: opsPerSecond(durationMs, () => signWith(engineKey, response)),
    verify_per_s: opsPerSecond(durationMs, () => {
      if (!verifier.verify(signature, request, engineKey.publicKey)) throw new Error("verify failed");
    }),
  };
  return { verify_per_s, sign_per_s, limit_rps: 1 / (1 / verify_per_s + 1 / sign_per_s), engine };
}

/** Runs `op` in batches for `durationMs` after a short warm-up; returns operations per second. */
function opsPerSecond(durationMs: number, op: () => void): number {
  const batch = 200;
  const warmEnd = performance.now() + Math.min(300, durationMs / 4);
  while (performance.now() < warmEnd) for (let i = 0; i < batch; i++) op();
  let count = 0;
  const start = performance.now();
  let elapsed = 0;
  do {
    for (let i = 0; i < batch; i++) op();
    count += batch;
    elapsed = performance.now() - start;
  } while (elapsed < durationMs);
  return (count * 1000) / elapsed;
}
