// envelope-frames.ts: the 5-byte envelope of Connect streams, gRPC and gRPC-Web, written and followed.
// EnvelopeFollower is fed bodies cut into chunks at random places (a header split in two, several
// frames in one chunk, the end frame in pieces): it passes every byte before the end frame on
// unchanged and in order, counts a message only once its last byte went by, and returns the end frame
// whole — whatever the cut, where the RPC adapter used to assume one frame per chunk.
import fc from "fast-check";
import { expect, it } from "vitest";
import { encodeEnvelope, EnvelopeFollower } from "../../src/gateway/envelope-frames.js";

it("encodes flags, a big-endian u32 length and the bytes", () => {
  const data = new Uint8Array(70_000).map((_, i) => i % 251);
  const out = encodeEnvelope(0x80, data);
  expect([...out.subarray(0, 5)]).toEqual([0x80, 0x00, 0x01, 0x11, 0x70]);
  expect(Buffer.compare(out.subarray(5), data)).toBe(0);
  expect([...encodeEnvelope(0, new Uint8Array(0))]).toEqual([0, 0, 0, 0, 0]);
});

const message = fc.record({ flags: fc.constantFrom(0, 1), data: fc.uint8Array({ maxLength: 300 }) });
const endFrame = fc.record({ flags: fc.constantFrom(0x02, 0x03, 0x80), data: fc.uint8Array({ maxLength: 300 }) });

it("follows any cut of a body into chunks: bytes passed on in order, messages counted when complete, the end frame whole", () => {
  fc.assert(
    fc.property(fc.array(message, { maxLength: 8 }), fc.option(endFrame, { nil: undefined }), fc.array(fc.nat(), { maxLength: 12 }), (messages, end, cuts) => {
      const frames = messages.map((m) => encodeEnvelope(m.flags, m.data));
      const before = Buffer.concat(frames);
      const last = end ? encodeEnvelope(end.flags, end.data) : Buffer.alloc(0);
      const body = Buffer.concat([before, last]);
      const ends = frames.reduce<number[]>((acc, f) => [...acc, (acc.at(-1) ?? 0) + f.byteLength], []);
      const points = [...new Set(cuts.map((c) => c % (body.length + 1)))].sort((a, b) => a - b);

      const follower = new EnvelopeFollower();
      const passed: Uint8Array[] = [];
      let from = 0;
      for (const to of [...points, body.length]) {
        passed.push(follower.push(body.subarray(from, to)));
        from = to;
        const seen = Math.min(to, before.length);
        expect(follower.messages).toBe(ends.filter((e) => e <= seen).length);
      }
      expect(Buffer.compare(Buffer.concat(passed), before)).toBe(0);
      expect(follower.messages).toBe(messages.length);
      const got = follower.endFrame();
      expect(got && Buffer.from(got).toString("hex")).toBe(end ? last.toString("hex") : undefined);
    }),
    { numRuns: 500 },
  );
});

it("passes a chunk without an end frame on as the same object (no copy)", () => {
  const chunk = Buffer.concat([encodeEnvelope(0, new Uint8Array([1, 2, 3])), encodeEnvelope(1, new Uint8Array(0))]);
  const follower = new EnvelopeFollower();
  expect(follower.push(chunk)).toBe(chunk);
  expect(follower.messages).toBe(2);
});
