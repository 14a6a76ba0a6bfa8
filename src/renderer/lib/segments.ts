// Splits a signing input of PROTOCOL.md §2 into its fields, for display: each field's length prefix
// (for str/bin) and value bytes. The concatenation is checked against src/shared's signing input.
import { bytesEqual, concatBytes, toHex, utf8 } from "../../shared/bytes.js";
import type { EventEnvelope, RequestEnvelope, ResponseEnvelope } from "../../shared/gen/galaxy/gateway/v1/gateway_pb.js";
import {
  EVENT_TAG,
  REQUEST_TAG,
  RESPONSE_TAG,
  eventSigningInput,
  requestSigningInput,
  responseSigningInput,
} from "../../shared/signing-input.js";

export interface Segment {
  field: string;
  kind: "tag" | "u32" | "i64" | "str" | "bin";
  /** u32 length prefix of str/bin. */
  prefix?: Uint8Array;
  value: Uint8Array;
  /** Human-readable value. */
  display: string;
}

export interface SegmentedInput {
  segments: Segment[];
  bytes: Uint8Array;
  /** The segments concatenate to exactly src/shared's signing input. */
  consistent: boolean;
}

function u32(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n, false);
  return b;
}

function i64(n: bigint): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigInt64(0, BigInt.asIntN(64, n), false);
  return b;
}

const tag = (t: string): Segment => ({ field: "tag", kind: "tag", value: concatBytes([utf8(t), new Uint8Array([0])]), display: `"${t}\\0"` });
const u32Seg = (field: string, n: number): Segment => ({ field, kind: "u32", value: u32(n), display: String(n) });
const i64Seg = (field: string, n: bigint): Segment => ({ field, kind: "i64", value: i64(n), display: timeDisplay(n) });
const strSeg = (field: string, s: string): Segment => {
  const value = utf8(s);
  return { field, kind: "str", prefix: u32(value.length), value, display: JSON.stringify(s) };
};
const binSeg = (field: string, b: Uint8Array): Segment => ({ field, kind: "bin", prefix: u32(b.length), value: b, display: `${b.length} bytes` });

function timeDisplay(n: bigint): string {
  const ms = Number(n);
  const d = new Date(ms);
  return Number.isFinite(d.getTime()) ? `${n} (${d.toISOString()})` : String(n);
}

function finish(segments: Segment[], expected: Uint8Array): SegmentedInput {
  const bytes = concatBytes(segments.flatMap((s) => (s.prefix ? [s.prefix, s.value] : [s.value])));
  return { segments, bytes, consistent: bytesEqual(bytes, expected) };
}

export function requestSegments(e: RequestEnvelope): SegmentedInput {
  return finish(
    [
      tag(REQUEST_TAG),
      u32Seg("protocol_version", e.protocolVersion),
      strSeg("device_session_id", e.deviceSessionId),
      strSeg("message_type", e.messageType),
      i64Seg("timestamp_ms", e.timestampMs),
      strSeg("request_id", e.requestId),
      binSeg("payload_hash", e.payloadHash),
    ],
    requestSigningInput(e),
  );
}

export function responseSegments(e: ResponseEnvelope): SegmentedInput {
  return finish(
    [
      tag(RESPONSE_TAG),
      u32Seg("protocol_version", e.protocolVersion),
      strSeg("device_session_id", e.deviceSessionId),
      strSeg("request_id", e.requestId),
      i64Seg("timestamp_ms", e.timestampMs),
      strSeg("result_code", e.resultCode),
      binSeg("payload_hash", e.payloadHash),
    ],
    responseSigningInput(e),
  );
}

export function eventSegments(e: EventEnvelope): SegmentedInput {
  return finish(
    [
      tag(EVENT_TAG),
      u32Seg("protocol_version", e.protocolVersion),
      strSeg("device_session_id", e.deviceSessionId),
      strSeg("event_type", e.eventType),
      strSeg("event_id", e.eventId),
      i64Seg("timestamp_ms", e.timestampMs),
      strSeg("request_id", e.requestId),
      binSeg("payload_hash", e.payloadHash),
    ],
    eventSigningInput(e),
  );
}

/** Hex in groups of 4 bytes: "0a1b2c3d 4e5f…". */
export function groupedHex(bytes: Uint8Array, groupBytes = 4): string {
  const hex = toHex(bytes);
  const out: string[] = [];
  for (let i = 0; i < hex.length; i += groupBytes * 2) out.push(hex.slice(i, i + groupBytes * 2));
  return out.join(" ");
}
