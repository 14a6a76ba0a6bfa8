// The fault stage: where execute and subscribe faults act on a call, after every check of §4 has
// passed (after routing for ExecuteCommand, after rate_limit for SubscribeEvents). So a fault never
// hides a real rejection — a bad signature, a stale or replayed request, a rate limit, an unknown
// message type still answer as they would — and what it injects stands in for the backend call (or
// the stream's opening). A call no fault hits leaves no line in the journal ("idle").
import { Code } from "@connectrpc/connect";
import { codeByName } from "../code-names.js";
import { GatewayRejection, markInjected, requireEnvelope, requireSession, type GatewayCall, type InjectedReason, type Stage } from "../stages/stage.js";
import { StreamFault, type FaultHit, type FaultSet } from "./fault-set.js";

export function faultStage(faults: FaultSet): Stage {
  return {
    name: "fault",
    run(call: GatewayCall) {
      const env = requireEnvelope(call);
      const session = requireSession(call);
      const subscribe = call.rpc === "SubscribeEvents";
      const hit = faults.hit(subscribe ? "subscribe" : "execute", {
        messageType: env.messageType,
        userId: session.user_id,
        deviceSessionId: env.deviceSessionId,
      });
      // Synchronous when no fault applies, as on almost every call (pipeline.ts awaits promises only).
      return hit ? inject(call, hit) : "idle";
    },
  };

  async function inject(call: GatewayCall, hit: FaultHit): Promise<void> {
    markInjected(call, hit.id);
    // Within the call's deadline: one that runs out meanwhile answers deadline_exceeded here (runPipeline).
    if (hit.latencyMs > 0) await faults.delay(hit.latencyMs, call.signal);
    const spec = hit.spec;
    if (spec.target === "subscribe") {
      call.streamFault = new StreamFault(hit.id, spec, hit.streamRandom);
      return;
    }
    if (spec.target === "execute" && spec.error) {
      const reason = (spec.error.reason ?? "injected_fault") as InjectedReason;
      throw new GatewayRejection(codeByName(spec.error.code) ?? Code.Unavailable, reason, "fault", `injected fault ${hit.id}`);
    }
  }
}
