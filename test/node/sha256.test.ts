// The Node rooms hash with node:crypto (src/node/sha256.ts), the browser and the SDK with the pure
// src/shared/hash.ts: a payload_hash made by one must be the one the other checks.
import { randomBytes } from "node:crypto";
import { expect, it } from "vitest";
import { sha256Node } from "../../src/node/sha256.js";
import { toHex, utf8 } from "../../src/shared/bytes.js";
import { sha256 } from "../../src/shared/hash.js";

it("agrees with the shared SHA-256 and with the FIPS 180-2 vector", () => {
  expect(toHex(sha256Node(utf8("abc")))).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  for (const length of [0, 1, 55, 56, 64, 1024, 65_536]) {
    const bytes = new Uint8Array(randomBytes(length));
    expect(toHex(sha256Node(bytes)), `length ${length}`).toBe(toHex(sha256(bytes)));
  }
});
