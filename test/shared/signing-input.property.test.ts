// The fast signing-input writer against a plain reference built from the §2 definitions with
// TextEncoder: equal on arbitrary strings (any code unit, lone surrogates included), hashes and int64s.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { concatBytes } from "../../src/shared/bytes.js";
import { EVENT_TAG, REQUEST_TAG, eventSigningInput, requestSigningInput } from "../../src/shared/signing-input.js";

const enc = new TextEncoder();
const u32 = (n: number) => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n);
  return b;
};
const i64 = (n: bigint) => {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigInt64(0, BigInt.asIntN(64, n));
  return b;
};
const bin = (b: Uint8Array) => concatBytes([u32(b.length), b]);
const str = (s: string) => bin(enc.encode(s));
const tag = (t: string) => concatBytes([enc.encode(t), new Uint8Array([0])]);

const anyString = fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)), maxLength: 40 });
const anyText = fc.oneof(anyString, fc.string({ unit: "grapheme", maxLength: 20 }));
const int64 = fc.bigInt({ min: -(2n ** 64n), max: 2n ** 64n });

describe("signing inputs match the §2 definitions", () => {
  it("request", () => {
    fc.assert(
      fc.property(fc.nat({ max: 0xffffffff }), anyText, anyText, int64, anyText, fc.uint8Array({ maxLength: 40 }), (v, ds, mt, ts, rid, hash) => {
        const expected = concatBytes([tag(REQUEST_TAG), u32(v), str(ds), str(mt), i64(ts), str(rid), bin(hash)]);
        const got = requestSigningInput({ protocolVersion: v, deviceSessionId: ds, messageType: mt, timestampMs: ts, requestId: rid, payloadHash: hash });
        expect(got).toEqual(expected);
      }),
      { numRuns: 500 },
    );
  });

  it("event", () => {
    fc.assert(
      fc.property(anyText, anyText, anyText, int64, anyText, fc.uint8Array({ maxLength: 40 }), (ds, et, eid, ts, rid, hash) => {
        const expected = concatBytes([tag(EVENT_TAG), u32(1), str(ds), str(et), str(eid), i64(ts), str(rid), bin(hash)]);
        const got = eventSigningInput({ protocolVersion: 1, deviceSessionId: ds, eventType: et, eventId: eid, timestampMs: ts, requestId: rid, payloadHash: hash });
        expect(got).toEqual(expected);
      }),
      { numRuns: 500 },
    );
  });

  it("refuses a protocol_version outside u32", () => {
    const f = { deviceSessionId: "", messageType: "", timestampMs: 0n, requestId: "", payloadHash: new Uint8Array() };
    expect(() => requestSigningInput({ ...f, protocolVersion: -1 })).toThrow(RangeError);
    expect(() => requestSigningInput({ ...f, protocolVersion: 2 ** 32 })).toThrow(RangeError);
  });
});
