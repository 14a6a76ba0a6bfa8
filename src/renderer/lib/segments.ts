// Splits a signing input of PROTOCOL.md §2 into its fields, for display: each field's length prefix
// (for str/bin) and value bytes. The concatenation is checked against src/shared's signing input.
import { bytesEqual, concatBytes, toHex, utf8 } from "../../shared/bytes.js";
import type { EventEnvelope, RequestEnvelope, ResponseEnvelope } from "../../shared/gen/galaxy/gateway/v1/gateway_pb.js";
import {
  EVENT_TAG,
  REQUEST_TAG,
  RESPONSE_TAG,
  eventSigningFields,
  eventSigningInput,
  requestSigningFields,
  requestSigningInput,
  responseSigningFields,
  responseSigningInput,
  type SigningField,
} from "../../shared/signing-input.js";

export interface Segment {
  field: string;
  kind: "tag" | SigningField["kind"];
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

/** One field's bytes, encoded on their own (the shared writer encodes the whole input at once). */
function segment(f: SigningField): Segment {
  switch (f.kind) {
    case "u32":
      return { field: f.name, kind: "u32", value: u32(f.value), display: String(f.value) };
    case "i64": {
      const value = new Uint8Array(8);
      new DataView(value.buffer).setBigInt64(0, BigInt.asIntN(64, f.value), false);
      return { field: f.name, kind: "i64", value, display: timeDisplay(f.value) };
    }
    case "str": {
      const value = utf8(f.value);
      return { field: f.name, kind: "str", prefix: u32(value.length), value, display: JSON.stringify(f.value) };
    }
    case "bin":
      return { field: f.name, kind: "bin", prefix: u32(f.value.length), value: f.value, display: `${f.value.length} bytes` };
  }
}

function timeDisplay(n: bigint): string {
  const ms = Number(n);
  const d = new Date(ms);
  return Number.isFinite(d.getTime()) ? `${n} (${d.toISOString()})` : String(n);
}

function segmented(tag: string, fields: SigningField[], expected: Uint8Array): SegmentedInput {
  const segments: Segment[] = [
    { field: "tag", kind: "tag", value: concatBytes([utf8(tag), new Uint8Array([0])]), display: `"${tag}\\0"` },
    ...fields.map(segment),
  ];
  const bytes = concatBytes(segments.flatMap((s) => (s.prefix ? [s.prefix, s.value] : [s.value])));
  return { segments, bytes, consistent: bytesEqual(bytes, expected) };
}

export function requestSegments(e: RequestEnvelope): SegmentedInput {
  return segmented(REQUEST_TAG, requestSigningFields(e), requestSigningInput(e));
}

export function responseSegments(e: ResponseEnvelope): SegmentedInput {
  return segmented(RESPONSE_TAG, responseSigningFields(e), responseSigningInput(e));
}

export function eventSegments(e: EventEnvelope): SegmentedInput {
  return segmented(EVENT_TAG, eventSigningFields(e), eventSigningInput(e));
}

/** Hex in groups of 4 bytes: "0a1b2c3d 4e5f…". */
export function groupedHex(bytes: Uint8Array, groupBytes = 4): string {
  const hex = toHex(bytes);
  const out: string[] = [];
  for (let i = 0; i < hex.length; i += groupBytes * 2) out.push(hex.slice(i, i + groupBytes * 2));
  return out.join(" ");
}
