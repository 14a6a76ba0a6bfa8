// A minimal client SDK: builds signed requests and verifies signed responses and events.
// Pure (noble Ed25519, noble SHA-256), so the renderer, tests and third-party tools share one
// implementation of the client side of PROTOCOL.md §2.
import { create } from "@bufbuild/protobuf";
import { bytesEqual, utf8 } from "./bytes.js";
import { sign, verify } from "./ed25519.js";
import {
  ExecuteCommandRequestSchema,
  RequestEnvelopeSchema,
  SubscribeEventsRequestSchema,
  type ExecuteCommandRequest,
  type ExecuteCommandResponse,
  type GatewayEvent,
  type RequestEnvelope,
  type SubscribeEventsRequest,
} from "./gen/galaxy/gateway/v1/gateway_pb.js";
import { sha256 } from "./hash.js";
import { PROTOCOL_VERSION, SUBSCRIBE_MESSAGE_TYPE } from "./protocol.js";
import { eventSigningInput, requestSigningInput, responseSigningInput } from "./signing-input.js";

export interface DeviceIdentity {
  deviceSessionId: string;
  /** 32-byte Ed25519 seed (RFC 8032 private key). */
  seed: Uint8Array;
}

export interface RequestOptions {
  messageType: string;
  /** A JSON value (serialised), raw bytes, or nothing for an empty payload. */
  payload?: unknown;
  requestId?: string;
  timestampMs?: number | bigint;
  protocolVersion?: number;
}

export interface SignedRequest {
  envelope: RequestEnvelope;
  payloadBytes: Uint8Array;
  signingInput: Uint8Array;
  signature: Uint8Array;
}

/**
 * A request id unique per device session in practice: the time and 64 random bits (two ids in the
 * same millisecond collide with odds of 2^-64; no module-level counter is needed for that).
 */
export function newRequestId(): string {
  const random = () => Math.floor(Math.random() * 0x100000000).toString(36).padStart(7, "0");
  return `r-${Date.now().toString(36)}-${random()}${random()}`;
}

export function encodePayload(payload: unknown): Uint8Array {
  if (payload === undefined) return new Uint8Array(0);
  if (payload instanceof Uint8Array) return payload;
  return utf8(JSON.stringify(payload));
}

export function signRequest(device: DeviceIdentity, options: RequestOptions): SignedRequest {
  const payloadBytes = encodePayload(options.payload);
  const envelope = create(RequestEnvelopeSchema, {
    protocolVersion: options.protocolVersion ?? PROTOCOL_VERSION,
    deviceSessionId: device.deviceSessionId,
    messageType: options.messageType,
    timestampMs: BigInt(options.timestampMs ?? Date.now()),
    requestId: options.requestId ?? newRequestId(),
    payloadHash: sha256(payloadBytes),
  });
  const signingInput = requestSigningInput(envelope);
  return { envelope, payloadBytes, signingInput, signature: sign(signingInput, device.seed) };
}

export function executeCommandRequest(device: DeviceIdentity, options: RequestOptions): ExecuteCommandRequest {
  const signed = signRequest(device, options);
  return create(ExecuteCommandRequestSchema, {
    envelope: signed.envelope,
    payloadBytes: signed.payloadBytes,
    signature: signed.signature,
  });
}

export function subscribeEventsRequest(
  device: DeviceIdentity,
  options: Omit<RequestOptions, "messageType" | "payload"> = {},
): SubscribeEventsRequest {
  const signed = signRequest(device, { ...options, messageType: SUBSCRIBE_MESSAGE_TYPE });
  return create(SubscribeEventsRequestSchema, { envelope: signed.envelope, signature: signed.signature });
}

export type Verification = { ok: true } | { ok: false; problem: string };

/** Checks a response's hash, signature and echo of the request; never throws. */
export function verifyResponse(
  response: ExecuteCommandResponse,
  gatewayPublicKey: Uint8Array,
  expect?: { deviceSessionId?: string; requestId?: string },
): Verification {
  const env = response.envelope;
  if (!env) return { ok: false, problem: "response has no envelope" };
  if (!bytesEqual(sha256(response.payloadBytes), env.payloadHash)) return { ok: false, problem: "payload hash mismatch" };
  if (expect?.requestId !== undefined && env.requestId !== expect.requestId) return { ok: false, problem: "request_id not echoed" };
  if (expect?.deviceSessionId !== undefined && env.deviceSessionId !== expect.deviceSessionId) {
    return { ok: false, problem: "device_session_id not echoed" };
  }
  if (!verify(response.signature, responseSigningInput(env), gatewayPublicKey)) return { ok: false, problem: "bad signature" };
  return { ok: true };
}

/** Checks an event's hash and signature; never throws. */
export function verifyEvent(event: GatewayEvent, gatewayPublicKey: Uint8Array): Verification {
  const env = event.envelope;
  if (!env) return { ok: false, problem: "event has no envelope" };
  if (!bytesEqual(sha256(event.payloadBytes), env.payloadHash)) return { ok: false, problem: "payload hash mismatch" };
  if (!verify(event.signature, eventSigningInput(env), gatewayPublicKey)) return { ok: false, problem: "bad signature" };
  return { ok: true };
}
