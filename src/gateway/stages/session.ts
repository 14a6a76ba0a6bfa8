// Stage 2, session: the device session must exist on the backend and be active.
import { Code } from "@connectrpc/connect";
import { BackendUnavailableError, CallerDeadlineError } from "../backend/rest-client.js";
import type { FoundSession, SessionLookup } from "../backend/session-lookup.js";
import { StoreUnavailableError } from "../store-unavailable.js";
import { abortRejection, deadlineRejection, GatewayRejection, markInjected, requireEnvelope, type GatewayCall, type Stage } from "./stage.js";

export function sessionStage(sessions: SessionLookup): Stage {
  async function lookUp(call: GatewayCall, deviceSessionId: string): Promise<void> {
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
    admit(call, found);
  }

  return {
    name: "session",
    run(call: GatewayCall) {
      const { deviceSessionId } = requireEnvelope(call);
      // A cached session is checked synchronously: no promise on the path most calls take (pipeline.ts).
      const cached = sessions.cached(deviceSessionId);
      return cached ? admit(call, cached) : lookUp(call, deviceSessionId);
    },
  };
}

function admit(call: GatewayCall, found: FoundSession | undefined): void {
  if (!found) throw new GatewayRejection(Code.Unauthenticated, "unknown_session", "session", "no such device session");
  if (found.session.status !== "active") {
    throw new GatewayRejection(Code.FailedPrecondition, "session_revoked", "session", "device session was revoked");
  }
  call.session = found.session;
  call.sessionPublicKey = found.publicKey;
}
