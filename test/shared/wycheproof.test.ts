// Project Wycheproof's Ed25519 vectors: the renderer/SDK verifier (noble, strict) must agree with
// every verdict. The gateway's node:crypto verifier has its own copy of this test.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { fromHex } from "../../src/shared/bytes.js";
import { verify } from "../../src/shared/ed25519.js";

const suite = JSON.parse(readFileSync(new URL("../fixtures/wycheproof-ed25519_test.json", import.meta.url), "utf8"));
const cases = suite.testGroups.flatMap((g: any) =>
  g.tests.map((t: any) => ({ pk: g.publicKey.pk as string, ...t })),
);

describe("Wycheproof Ed25519 (src/shared, @noble/ed25519 strict)", () => {
  it("has the full suite", () => expect(cases.length).toBe(151));
  it.each(cases as any[])("tc $tcId $comment", (c: any) => {
    expect(verify(fromHex(c.sig), fromHex(c.msg), fromHex(c.pk))).toBe(c.result === "valid");
  });
});
