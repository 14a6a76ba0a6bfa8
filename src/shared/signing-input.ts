// The signing inputs of PROTOCOL.md §2, byte for byte. Pure: used by the gateway (hot path: one per
// request verified, per response and per event delivered), the renderer and any SDK, and checked
// against vectors.json. Each input is written into one exactly-sized array: sizes first, then bytes,
// with a small UTF-8 writer (TextEncoder's per-call cost dominated inputs this short).

export const REQUEST_TAG = "galaxy-gateway/v1/request";
export const RESPONSE_TAG = "galaxy-gateway/v1/response";
export const EVENT_TAG = "galaxy-gateway/v1/event";

export interface RequestSigningFields {
  protocolVersion: number;
  deviceSessionId: string;
  messageType: string;
  timestampMs: bigint;
  requestId: string;
  payloadHash: Uint8Array;
}

export interface ResponseSigningFields {
  protocolVersion: number;
  deviceSessionId: string;
  requestId: string;
  timestampMs: bigint;
  resultCode: string;
  payloadHash: Uint8Array;
}

export interface EventSigningFields {
  protocolVersion: number;
  deviceSessionId: string;
  eventType: string;
  eventId: string;
  timestampMs: bigint;
  requestId: string;
  payloadHash: Uint8Array;
}

/** One field of a signing input, named as in the envelope; the layouts below are the §2 table. */
export type SigningField = { name: string } & (
  | { kind: "u32"; value: number }
  | { kind: "i64"; value: bigint }
  | { kind: "str"; value: string }
  | { kind: "bin"; value: Uint8Array }
);

export function requestSigningFields(f: RequestSigningFields): SigningField[] {
  return [
    { name: "protocol_version", kind: "u32", value: f.protocolVersion },
    { name: "device_session_id", kind: "str", value: f.deviceSessionId },
    { name: "message_type", kind: "str", value: f.messageType },
    { name: "timestamp_ms", kind: "i64", value: f.timestampMs },
    { name: "request_id", kind: "str", value: f.requestId },
    { name: "payload_hash", kind: "bin", value: f.payloadHash },
  ];
}

export function responseSigningFields(f: ResponseSigningFields): SigningField[] {
  return [
    { name: "protocol_version", kind: "u32", value: f.protocolVersion },
    { name: "device_session_id", kind: "str", value: f.deviceSessionId },
    { name: "request_id", kind: "str", value: f.requestId },
    { name: "timestamp_ms", kind: "i64", value: f.timestampMs },
    { name: "result_code", kind: "str", value: f.resultCode },
    { name: "payload_hash", kind: "bin", value: f.payloadHash },
  ];
}

export function eventSigningFields(f: EventSigningFields): SigningField[] {
  return [
    { name: "protocol_version", kind: "u32", value: f.protocolVersion },
    { name: "device_session_id", kind: "str", value: f.deviceSessionId },
    { name: "event_type", kind: "str", value: f.eventType },
    { name: "event_id", kind: "str", value: f.eventId },
    { name: "timestamp_ms", kind: "i64", value: f.timestampMs },
    { name: "request_id", kind: "str", value: f.requestId },
    { name: "payload_hash", kind: "bin", value: f.payloadHash },
  ];
}

export function requestSigningInput(f: RequestSigningFields): Uint8Array {
  return signingInput(REQUEST_TAG, requestSigningFields(f));
}

export function responseSigningInput(f: ResponseSigningFields): Uint8Array {
  return signingInput(RESPONSE_TAG, responseSigningFields(f));
}

export function eventSigningInput(f: EventSigningFields): Uint8Array {
  return signingInput(EVENT_TAG, eventSigningFields(f));
}

/** tag(T) || fields, where tag(T) = ASCII(T) || 0x00 and str/bin carry a u32 length prefix. */
export function signingInput(tag: string, fields: readonly SigningField[]): Uint8Array {
  let size = tag.length + 1;
  for (const field of fields) {
    if (field.kind === "u32") size += 4;
    else if (field.kind === "i64") size += 8;
    else if (field.kind === "str") size += 4 + utf8Length(field.value);
    else size += 4 + field.value.length;
  }
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  let at = writeUtf8(tag, out, 0);
  out[at++] = 0;
  for (const field of fields) {
    if (field.kind === "u32") {
      const n = field.value;
      if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new RangeError(`u32 out of range: ${n}`);
      view.setUint32(at, n, false);
      at += 4;
    } else if (field.kind === "i64") {
      view.setBigInt64(at, BigInt.asIntN(64, field.value), false);
      at += 8;
    } else if (field.kind === "str") {
      const end = writeUtf8(field.value, out, at + 4);
      view.setUint32(at, end - at - 4, false);
      at = end;
    } else {
      view.setUint32(at, field.value.length, false);
      out.set(field.value, at + 4);
      at += 4 + field.value.length;
    }
  }
  return out;
}

/** UTF-8 length of a JS string; a lone surrogate counts as U+FFFD (3 bytes), as TextEncoder does. */
function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (isHighSurrogate(c) && isLowSurrogate(s.charCodeAt(i + 1))) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

/** Writes s as UTF-8 at `at`; returns the end offset. Lone surrogates become U+FFFD. */
function writeUtf8(s: string, out: Uint8Array, at: number): number {
  for (let i = 0; i < s.length; i++) {
    let c = s.charCodeAt(i);
    if (c < 0x80) {
      out[at++] = c;
      continue;
    }
    if (c < 0x800) {
      out[at++] = 0xc0 | (c >> 6);
      out[at++] = 0x80 | (c & 0x3f);
      continue;
    }
    if (isHighSurrogate(c) && isLowSurrogate(s.charCodeAt(i + 1))) {
      const cp = 0x10000 + ((c - 0xd800) << 10) + (s.charCodeAt(++i) - 0xdc00);
      out[at++] = 0xf0 | (cp >> 18);
      out[at++] = 0x80 | ((cp >> 12) & 0x3f);
      out[at++] = 0x80 | ((cp >> 6) & 0x3f);
      out[at++] = 0x80 | (cp & 0x3f);
      continue;
    }
    if (c >= 0xd800 && c <= 0xdfff) c = 0xfffd;
    out[at++] = 0xe0 | (c >> 12);
    out[at++] = 0x80 | ((c >> 6) & 0x3f);
    out[at++] = 0x80 | (c & 0x3f);
  }
  return at;
}

function isHighSurrogate(c: number): boolean {
  return c >= 0xd800 && c <= 0xdbff;
}

function isLowSurrogate(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff;
}
