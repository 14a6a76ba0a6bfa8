// vectors.json (copied from the spec) reproduced byte for byte by src/shared.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { fromHex, toHex, utf8 } from "../../src/shared/bytes.js";
import { publicKeyFromSeed, sign, verify } from "../../src/shared/ed25519.js";
import { sha256 } from "../../src/shared/hash.js";
import { eventSigningInput, requestSigningInput, responseSigningInput } from "../../src/shared/signing-input.js";

const vectors = JSON.parse(readFileSync(new URL("../fixtures/vectors.json", import.meta.url), "utf8"));

function envelopeFields(e: Record<string, unknown>) {
  return {
    protocolVersion: e.protocol_version as number,
    deviceSessionId: (e.device_session_id as string) ?? "",
    messageType: (e.message_type as string) ?? "",
    eventType: (e.event_type as string) ?? "",
    eventId: (e.event_id as string) ?? "",
    resultCode: (e.result_code as string) ?? "",
    requestId: e.request_id as string,
    timestampMs: BigInt(e.timestamp_ms as number),
    payloadHash: fromHex(e.payload_hash as string),
  };
}

const cases = [
  ...vectors.requests.map((v: any) => ({ kind: "request", v, build: requestSigningInput, key: vectors.client_key })),
  ...vectors.responses.map((v: any) => ({ kind: "response", v, build: responseSigningInput, key: vectors.gateway_key })),
  ...vectors.events.map((v: any) => ({ kind: "event", v, build: eventSigningInput, key: vectors.gateway_key })),
];

describe("vectors.json", () => {
  it("derives both public keys from their seeds", () => {
    for (const k of [vectors.client_key, vectors.gateway_key]) {
      expect(toHex(publicKeyFromSeed(fromHex(k.seed)))).toBe(k.public_key);
    }
  });

  it.each(cases.map((c, i) => [`${c.kind} #${i}`, c] as const))("%s: hash, signing input and signature", (_name, c) => {
    const fields = envelopeFields(c.v.envelope);
    expect(toHex(sha256(utf8(c.v.payload_utf8)))).toBe(c.v.envelope.payload_hash);
    const input = c.build(fields);
    expect(toHex(input)).toBe(c.v.signing_input);
    expect(toHex(sign(input, fromHex(c.key.seed)))).toBe(c.v.signature);
    expect(verify(fromHex(c.v.signature), input, fromHex(c.key.public_key))).toBe(true);
    const tampered = input.slice();
    tampered[tampered.length - 1]! ^= 1;
    expect(verify(fromHex(c.v.signature), tampered, fromHex(c.key.public_key))).toBe(false);
  });
});
