// The signing inputs of PROTOCOL.md §2, byte for byte. Pure: used by the gateway, the mock
// backend's tests, the renderer and any SDK, and checked against vectors.json.
import { concatBytes, utf8 } from "./bytes.js";

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

/** Appends the §2 primitives to a growing list of parts; one allocation at the end. */
class SigningInputWriter {
  private readonly parts: Uint8Array[] = [];

  tag(text: string): this {
    this.parts.push(utf8(text), new Uint8Array([0]));
    return this;
  }

  u32(n: number): this {
    if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new RangeError(`u32 out of range: ${n}`);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, n, false);
    this.parts.push(b);
    return this;
  }

  i64(n: bigint): this {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigInt64(0, BigInt.asIntN(64, n), false);
    this.parts.push(b);
    return this;
  }

  str(s: string): this {
    return this.bin(utf8(s));
  }

  bin(b: Uint8Array): this {
    this.u32(b.length);
    this.parts.push(b);
    return this;
  }

  bytes(): Uint8Array {
    return concatBytes(this.parts);
  }
}

export function requestSigningInput(f: RequestSigningFields): Uint8Array {
  return new SigningInputWriter()
    .tag(REQUEST_TAG)
    .u32(f.protocolVersion)
    .str(f.deviceSessionId)
    .str(f.messageType)
    .i64(f.timestampMs)
    .str(f.requestId)
    .bin(f.payloadHash)
    .bytes();
}

export function responseSigningInput(f: ResponseSigningFields): Uint8Array {
  return new SigningInputWriter()
    .tag(RESPONSE_TAG)
    .u32(f.protocolVersion)
    .str(f.deviceSessionId)
    .str(f.requestId)
    .i64(f.timestampMs)
    .str(f.resultCode)
    .bin(f.payloadHash)
    .bytes();
}

export function eventSigningInput(f: EventSigningFields): Uint8Array {
  return new SigningInputWriter()
    .tag(EVENT_TAG)
    .u32(f.protocolVersion)
    .str(f.deviceSessionId)
    .str(f.eventType)
    .str(f.eventId)
    .i64(f.timestampMs)
    .str(f.requestId)
    .bin(f.payloadHash)
    .bytes();
}
