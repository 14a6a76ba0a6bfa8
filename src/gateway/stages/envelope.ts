// Stage 1, envelope: shape checks that need no state, then the protocol version.
import { Code } from "@connectrpc/connect";
import { fromUtf8 } from "../../shared/bytes.js";
import {
  MAX_PAYLOAD_BYTES,
  PAYLOAD_HASH_BYTES,
  REQUEST_ID_PATTERN,
  SIGNATURE_BYTES,
  SUBSCRIBE_MESSAGE_TYPE,
  SUPPORTED_PROTOCOL_VERSIONS,
} from "../../shared/protocol.js";
import { GatewayRejection, type GatewayCall, type Stage } from "./stage.js";

/** Ids and types are opaque to the gateway but bounded and printable (they reach logs and headers). */
const DEVICE_SESSION_ID_PATTERN = /^[\x21-\x7e\u00a0-\uffff]{1,128}$/u;
const MESSAGE_TYPE_PATTERN = /^[A-Za-z0-9._-]{1,128}$/;

function malformed(message: string): GatewayRejection {
  return new GatewayRejection(Code.InvalidArgument, "malformed_envelope", "envelope", message);
}

export const envelopeStage: Stage = {
  name: "envelope",
  run(call: GatewayCall) {
    const env = call.rawEnvelope;
    if (!env) throw malformed("envelope missing");
    if (!DEVICE_SESSION_ID_PATTERN.test(env.deviceSessionId)) throw malformed("device_session_id must be 1..128 printable characters");
    if (!MESSAGE_TYPE_PATTERN.test(env.messageType)) throw malformed("message_type must be 1..128 chars of [A-Za-z0-9._-]");
    if ((call.rpc === "SubscribeEvents") !== (env.messageType === SUBSCRIBE_MESSAGE_TYPE)) {
      throw malformed(`message_type "${SUBSCRIBE_MESSAGE_TYPE}" is for SubscribeEvents, and only for it`);
    }
    if (!REQUEST_ID_PATTERN.test(env.requestId)) throw malformed("request_id must be 1..128 chars of [A-Za-z0-9._:-]");
    if (env.payloadHash.length !== PAYLOAD_HASH_BYTES) throw malformed("payload_hash must be 32 bytes");
    if (call.signature.length !== SIGNATURE_BYTES) throw malformed("signature must be 64 bytes");
    if (call.payloadBytes.length > MAX_PAYLOAD_BYTES) throw malformed(`payload_bytes larger than ${MAX_PAYLOAD_BYTES} bytes`);
    if (call.payloadBytes.length > 0) assertJsonObject(call.payloadBytes);
    if (!SUPPORTED_PROTOCOL_VERSIONS.includes(env.protocolVersion)) {
      throw new GatewayRejection(
        Code.InvalidArgument,
        "unsupported_protocol_version",
        "envelope",
        `protocol_version ${env.protocolVersion} is not one of ${SUPPORTED_PROTOCOL_VERSIONS.join(", ")}`,
      );
    }
    call.envelope = env;
  },
};

function assertJsonObject(bytes: Uint8Array): void {
  let value: unknown;
  try {
    value = JSON.parse(fromUtf8(bytes));
  } catch {
    throw malformed("payload_bytes must be UTF-8 JSON");
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) throw malformed("payload_bytes must be a JSON object");
}
