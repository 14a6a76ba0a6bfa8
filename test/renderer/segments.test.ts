// The Commands tab's per-field view of a signing input: the vectors' inputs split into their fields.
import { readFileSync } from "node:fs";
import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { fromHex, toHex } from "../../src/shared/bytes.js";
import { RequestEnvelopeSchema } from "../../src/shared/gen/galaxy/gateway/v1/gateway_pb.js";
import { requestSegments } from "../../src/renderer/lib/segments.js";

const vectors = JSON.parse(readFileSync(new URL("../fixtures/vectors.json", import.meta.url), "utf8"));

describe("requestSegments", () => {
  it.each(vectors.requests as any[])("vector request $envelope.request_id splits into tag and six fields", (v: any) => {
    const e = v.envelope;
    const split = requestSegments(
      create(RequestEnvelopeSchema, {
        protocolVersion: e.protocol_version,
        deviceSessionId: e.device_session_id,
        messageType: e.message_type,
        timestampMs: BigInt(e.timestamp_ms),
        requestId: e.request_id,
        payloadHash: fromHex(e.payload_hash),
      }),
    );
    expect(split.consistent).toBe(true);
    expect(toHex(split.bytes)).toBe(v.signing_input);
    expect(split.segments.map((s) => s.field)).toEqual([
      "tag", "protocol_version", "device_session_id", "message_type", "timestamp_ms", "request_id", "payload_hash",
    ]);
    expect(split.segments[2]!.display).toBe(JSON.stringify(e.device_session_id));
  });
});
