// Strict signatures on the gateway side. The verifier (Ed25519Verifier, with either engine) must agree with
// every Wycheproof verdict, and keys that are not canonical, full-order points must be refused when a
// session is created (gateway public layer and mock backend) and verify nothing even if a backend
// hands one over — including signatures that a cofactored / lax (ZIP-215, bare OpenSSL) verifier takes.
import { createHash, createPublicKey, verify as opensslVerify } from "node:crypto";
import { readFileSync } from "node:fs";
import * as ed from "@noble/ed25519";
import { create } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_ENGINE, Ed25519Verifier, NODE_CRYPTO_ENGINE } from "../../src/gateway/signing/ed25519-node.js";
import { fromHex, toBase64Url } from "../../src/shared/bytes.js";
import { generateSeed, isValidPublicKey, publicKeyFromSeed } from "../../src/shared/ed25519.js";
import { ExecuteCommandRequestSchema } from "../../src/shared/gen/galaxy/gateway/v1/gateway_pb.js";
import { signRequest } from "../../src/shared/sdk.js";
import { requestSigningInput } from "../../src/shared/signing-input.js";
import type { RunningEmulator } from "../../src/emulator/start.js";
import type { RunningGateway } from "../../src/gateway/gateway.js";
import { edgeClient, getJson, postJson, startTestEmulator, TRANSPORT_NAMES } from "../support/emulator.js";
import { call, latestCode, startTestBackend } from "../backend/helpers.js";
import { connectErrorOf, gatewayFor, reasonOf, stageOf, startHttpServer, type FakeBackend } from "./support.js";

const suite = JSON.parse(readFileSync(new URL("../fixtures/wycheproof-ed25519_test.json", import.meta.url), "utf8"));
const cases = suite.testGroups.flatMap((g: any) => g.tests.map((t: any) => ({ pk: g.publicKey.pk as string, ...t })));

describe.each([DEFAULT_ENGINE, NODE_CRYPTO_ENGINE])("Wycheproof Ed25519 (src/gateway, $name + strict key check)", (engine) => {
  const verifier = new Ed25519Verifier(engine);
  it("has the full suite", () => expect(cases.length).toBe(151));
  it.each(cases as any[])("tc $tcId $comment", (c: any) => {
    expect(verifier.verify(fromHex(c.sig), fromHex(c.msg), fromHex(c.pk))).toBe(c.result === "valid");
  });
});

// --- keys a session must never be bound to ---------------------------------------------------------

const L = 2n ** 252n + 27742317777372353535851937790883648493n;
const mod = (a: bigint, m = L) => ((a % m) + m) % m;
const leToBigint = (b: Uint8Array) => BigInt("0x" + Buffer.from(b).reverse().toString("hex"));
const bigintToLe32 = (n: bigint) => Buffer.from(n.toString(16).padStart(64, "0"), "hex").reverse();
const IDENTITY = fromHex("0100000000000000000000000000000000000000000000000000000000000000");
const ORDER_8 = "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a";

/** Torsion points (orders 1, 2, 4, 8) and non-canonical encodings of small-order points. */
const SMALL_ORDER_KEYS: Record<string, string> = {
  "identity (order 1)": "0100000000000000000000000000000000000000000000000000000000000000",
  "y = -1 (order 2)": "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
  "y = 0 (order 4)": "0000000000000000000000000000000000000000000000000000000000000000",
  "y = 0, x negative (order 4)": "0000000000000000000000000000000000000000000000000000000000000080",
  "order 8 (a)": ORDER_8,
  "order 8 (b)": "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
  "order 8 (c)": "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
  "order 8 (d)": "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85",
  "non-canonical identity (x = -0)": "0100000000000000000000000000000000000000000000000000000000000080",
  "non-canonical identity (y = p + 1)": "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
  "non-canonical y = p (order 4)": "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
  "non-canonical y = -1 with sign bit": "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
};

/** A full-order key plus an order-8 point: on the curve, canonical, but not torsion-free. */
function mixedOrderKey(): { key: Uint8Array; secret: bigint } {
  const secret = mod(leToBigint(generateSeed()));
  const point = ed.Point.BASE.multiply(secret).add(ed.Point.fromBytes(fromHex(ORDER_8), false));
  return { key: point.toBytes(), secret };
}

/**
 * A signature over `message` that a cofactored verifier accepts for `key`: for small-order keys
 * (R = identity, S = 0) works for every message; for the mixed key, an honest signature by the
 * full-order part (the torsion component vanishes under the cofactor).
 */
function laxSignature(key: Uint8Array, message: Uint8Array, secret?: bigint): Uint8Array {
  if (secret === undefined) return Buffer.concat([IDENTITY, Buffer.alloc(32)]);
  const r = mod(leToBigint(generateSeed()));
  const R = ed.Point.BASE.multiply(r).toBytes();
  const k = mod(leToBigint(createHash("sha512").update(R).update(key).update(message).digest()));
  return Buffer.concat([R, bigintToLe32(mod(r + k * secret))]);
}

function laxAccepts(signature: Uint8Array, message: Uint8Array, key: Uint8Array): boolean {
  try {
    return ed.verify(signature, message, key, { zip215: true });
  } catch {
    return false;
  }
}

const mixed = mixedOrderKey();
const BAD_KEYS: { name: string; key: Uint8Array; secret?: bigint }[] = [
  ...Object.entries(SMALL_ORDER_KEYS).map(([name, hex]) => ({ name, key: fromHex(hex) })),
  { name: "mixed order (full-order + order 8)", key: mixed.key, secret: mixed.secret },
];

describe("keys that are not canonical full-order points", () => {
  it.each(BAD_KEYS)("$name: isValidPublicKey refuses it; the verifier refuses a lax-valid signature", ({ key, secret }) => {
    expect(isValidPublicKey(key)).toBe(false);
    const message = new TextEncoder().encode("galaxy-gateway hardening");
    const signature = laxSignature(key, message, secret);
    expect(laxAccepts(signature, message, key)).toBe(true); // a cofactored verifier would be fooled
    expect(new Ed25519Verifier().verify(signature, message, key)).toBe(false);
  });

  it("bare OpenSSL would accept the identity-key forgery: the key check is what stops it", () => {
    const spki = Buffer.concat([Buffer.from("302a300506032b6570032100", "hex"), IDENTITY]);
    const message = Buffer.from("any message at all");
    const forged = laxSignature(IDENTITY, message);
    expect(opensslVerify(null, message, createPublicKey({ key: spki, format: "der", type: "spki" }), forged)).toBe(true);
    expect(new Ed25519Verifier().verify(forged, message, IDENTITY)).toBe(false);
  });
});

describe("session creation refuses them (real REST: gateway public layer, then the mock backend)", () => {
  let emulator: RunningEmulator;
  beforeAll(async () => {
    emulator = await startTestEmulator();
  });
  afterAll(() => emulator.close());

  async function challenge(base: string, email: string): Promise<{ challenge_id: string; code: string }> {
    const sent = await postJson(`${base}/api/v1/public/auth/send-email-code`, { email });
    expect(sent.status).toBe(200);
    const mailbox = await getJson(`${base}/emulator/v1/mailbox?email=${encodeURIComponent(email)}`);
    return mailbox.json.messages.findLast((m: any) => m.challenge_id === sent.json.challenge_id);
  }

  it("gateway: 400 invalid_request for every bad key, and the challenge stays usable (nothing was forwarded)", async () => {
    const email = "torsion@example.com";
    const { challenge_id, code } = await challenge(emulator.url, email);
    for (const { name, key } of BAD_KEYS) {
      const r = await postJson(`${emulator.url}/api/v1/public/auth/confirm-email-code`, {
        challenge_id,
        code,
        client_public_key: toBase64Url(key),
      });
      expect({ name, status: r.status, code: r.json?.error?.code }).toEqual({ name, status: 400, code: "invalid_request" });
    }
    const good = await postJson(`${emulator.url}/api/v1/public/auth/confirm-email-code`, {
      challenge_id,
      code,
      client_public_key: toBase64Url(publicKeyFromSeed(generateSeed())),
    });
    expect(good.status).toBe(200);
  });

  it("mock backend, called directly (a mock of its own, whose token the test knows): 400 invalid_request for every bad key", async () => {
    const mock = await startTestBackend();
    try {
      const email = "torsion-direct@example.com";
      const sent = await call(mock.url, "POST", "/api/v1/public/auth/send-email-code", { email });
      const { code } = await latestCode(mock.url, email);
      for (const { name, key } of BAD_KEYS) {
        const r = await call(mock.url, "POST", "/api/v1/public/auth/confirm-email-code", {
          challenge_id: sent.json.challenge_id,
          code,
          client_public_key: toBase64Url(key),
        });
        expect({ name, status: r.status, code: r.json?.error?.code }).toEqual({ name, status: 400, code: "invalid_request" });
      }
    } finally {
      await mock.close();
    }
  });
});

describe("a backend that hands over a bad key: the signature stage verifies nothing", () => {
  let backend: FakeBackend;
  let gateway: RunningGateway;
  const sessions = new Map<string, Uint8Array>();

  beforeAll(async () => {
    backend = await startHttpServer((req, res) => {
      const m = /^\/api\/v1\/internal\/sessions\/([^/?]+)$/.exec(req.url ?? "");
      const key = m ? sessions.get(decodeURIComponent(m[1]!)) : undefined;
      req.resume();
      const body = key
        ? { device_session_id: decodeURIComponent(m![1]!), user_id: "u_torsion", client_public_key: toBase64Url(key), status: "active", created_at_ms: 1 }
        : req.url?.startsWith("/api/v1/user/")
          ? {}
          : { error: { code: "not_found", message: "no" } };
      res.writeHead(key || req.url?.startsWith("/api/v1/user/") ? 200 : 404, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    });
    gateway = await gatewayFor(backend.url);
  });
  afterAll(async () => {
    await gateway.close();
    await backend.close();
  });

  it.each(TRANSPORT_NAMES)("over %s: UNAUTHENTICATED invalid_signature for every bad key", async (transport) => {
    for (const [i, { name, key, secret }] of BAD_KEYS.entries()) {
      const deviceSessionId = `ds_bad_${transport.replace(/\W/g, "_")}_${i}`;
      sessions.set(deviceSessionId, key);
      // Sign with a throwaway seed to get a well-formed envelope, then put in the lax-valid forgery.
      const signed = signRequest({ deviceSessionId, seed: generateSeed() }, { messageType: "user.profile.get", payload: {} });
      const signature = laxSignature(key, requestSigningInput(signed.envelope), secret);
      expect(laxAccepts(signature, requestSigningInput(signed.envelope), key)).toBe(true);
      const request = create(ExecuteCommandRequestSchema, { envelope: signed.envelope, payloadBytes: signed.payloadBytes, signature });
      const err = await edgeClient(gateway.url, transport)
        .executeCommand(request, { signal: AbortSignal.timeout(10_000) })
        .then(() => undefined, connectErrorOf);
      expect({ name, code: err?.code, reason: err && reasonOf(err), stage: err && stageOf(err) }).toEqual({
        name,
        code: Code.Unauthenticated,
        reason: "invalid_signature",
        stage: "signature",
      });
    }
  });
});
