// Stage 2, session: the device session must exist on the backend and be active.
import { Code } from "@connectrpc/connect";
import { BackendUnavailableError, CallerDeadlineError } from "../backend/rest-client.js";
import type { SessionLookup } from "../backend/session-lookup.js";
import { StoreUnavailableError } from "../store-unavailable.js";
import { abortRejection, deadlineRejection, GatewayRejection, markInjected, requireEnvelope, type GatewayCall, type Stage } from "./stage.js";

export function sessionStage(sessions: SessionLookup): Stage {
  return {
    name: "session",
    async run(call: GatewayCall) {
      const { deviceSessionId } = requireEnvelope(call);
      let found;
      try {
        found = await sessions.get(deviceSessionId, {
          signal: call.signal,
          deadlineMs: call.timeoutMs(),
          forCall: { deviceSessionId, injected: (id) => markInjected(call, id) },
        });
      } catch (err) {
        if (err instanceof CallerDeadlineError) throw deadlineRejection("session");
        // The aborted signal cut the lookup: that surfaces as a BackendUnavailableError, but it is not one.
        if (call.signal.aborted) throw abortRejection(call, "session");
        // The shared revocation memory could not be asked: refuse rather than risk a revoked session.
        if (err instanceof StoreUnavailableError) throw err.toRejection("session");
        if (err instanceof BackendUnavailableError) {
          throw new GatewayRejection(Code.Unavailable, "backend_unavailable", "session", err.message);
        }
        throw err;
      }
      if (!found) throw new GatewayRejection(Code.Unauthenticated, "unknown_session", "session", "no such device session");
      if (found.session.status !== "active") {
        throw new GatewayRejection(Code.FailedPrecondition, "session_revoked", "session", "device session was revoked");
      }
      call.session = found.session;
      call.sessionPublicKey = found.publicKey;
    },
  };
}
