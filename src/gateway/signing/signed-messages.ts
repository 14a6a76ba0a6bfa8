// Builds the gateway's signed outputs (§2): response envelopes and events, signed with the gateway key.
import { create } from "@bufbuild/protobuf";
import {
  EventEnvelopeSchema,
  ExecuteCommandResponseSchema,
  GatewayEventSchema,
  ResponseEnvelopeSchema,
  type ExecuteCommandResponse,
  type GatewayEvent,
} from "../../shared/gen/galaxy/gateway/v1/gateway_pb.js";
import { PROTOCOL_VERSION } from "../../shared/protocol.js";
import { eventSigningInput, responseSigningInput } from "../../shared/signing-input.js";
import { sha256Node } from "../../node/sha256.js";

export interface Signer {
  sign(message: Uint8Array): Uint8Array;
  /** Resolves to sign(message), possibly computed on another thread. */
  signLater(message: Uint8Array): Promise<Uint8Array>;
}

export function signedResponse(
  signer: Signer,
  fields: { deviceSessionId: string; requestId: string; timestampMs: number; resultCode: string; payloadBytes: Uint8Array },
): ExecuteCommandResponse {
  const envelope = create(ResponseEnvelopeSchema, {
    protocolVersion: PROTOCOL_VERSION,
    deviceSessionId: fields.deviceSessionId,
    requestId: fields.requestId,
    timestampMs: BigInt(Math.trunc(fields.timestampMs)),
    resultCode: fields.resultCode,
    payloadHash: sha256Node(fields.payloadBytes),
  });
  return create(ExecuteCommandResponseSchema, {
    envelope,
    payloadBytes: fields.payloadBytes,
    signature: signer.sign(responseSigningInput(envelope)),
  });
}

interface EventFields {
  deviceSessionId: string;
  eventType: string;
  eventId: string;
  timestampMs: number;
  requestId: string;
  payloadBytes: Uint8Array;
  /** SHA-256 of payloadBytes when already known (one hash per push, not per stream). */
  payloadHash?: Uint8Array;
}

/** A signed event; the signature is made with signLater, so a fan-out's signatures can leave the main thread. */
export async function signedEvent(signer: Signer, fields: EventFields): Promise<GatewayEvent> {
  const envelope = create(EventEnvelopeSchema, {
    protocolVersion: PROTOCOL_VERSION,
    deviceSessionId: fields.deviceSessionId,
    eventType: fields.eventType,
    eventId: fields.eventId,
    timestampMs: BigInt(Math.trunc(fields.timestampMs)),
    requestId: fields.requestId,
    payloadHash: fields.payloadHash ?? sha256Node(fields.payloadBytes),
  });
  return create(GatewayEventSchema, {
    envelope,
    payloadBytes: fields.payloadBytes,
    signature: await signer.signLater(eventSigningInput(envelope)),
  });
}
