// Stage 3, payload_hash: the envelope's hash must be SHA-256 of the payload actually sent.
import { Code } from "@connectrpc/connect";
import { sha256Node } from "../../node/sha256.js";
import { bytesEqual } from "../../shared/bytes.js";
import { GatewayRejection, requireEnvelope, type GatewayCall, type Stage } from "./stage.js";

export const payloadHashStage: Stage = {
  name: "payload_hash",
  run(call: GatewayCall) {
    const env = requireEnvelope(call);
    if (!bytesEqual(sha256Node(call.payloadBytes), env.payloadHash)) {
      throw new GatewayRejection(Code.InvalidArgument, "payload_hash_mismatch", "payload_hash", "payload_hash is not SHA-256(payload_bytes)");
    }
  },
};
