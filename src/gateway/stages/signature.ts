// Stage 4, signature: Ed25519 (strict RFC 8032) over the request signing input, with the key the
// session was bound to at sign-in.
import { Code } from "@connectrpc/connect";
import { requestSigningInput } from "../../shared/signing-input.js";
import type { Ed25519Verifier } from "../signing/ed25519-node.js";
import { GatewayRejection, requireEnvelope, type GatewayCall, type Stage } from "./stage.js";

export function signatureStage(verifier: Ed25519Verifier): Stage {
  return {
    name: "signature",
    run(call: GatewayCall) {
      const env = requireEnvelope(call);
      const key = call.sessionPublicKey;
      if (!key || !verifier.verify(call.signature, requestSigningInput(env), key)) {
        throw new GatewayRejection(Code.Unauthenticated, "invalid_signature", "signature", "signature does not verify with the session key");
      }
    },
  };
}
