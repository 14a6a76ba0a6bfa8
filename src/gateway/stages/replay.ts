// Stage 6, replay: each (device_session_id, request_id) is accepted once within twice the window.
import { Code } from "@connectrpc/connect";
import type { LiveConfig } from "../config.js";
import type { ReplayStore } from "../replay-store.js";
import { GatewayRejection, requireEnvelope, type GatewayCall, type Stage } from "./stage.js";

export function replayStage(store: ReplayStore, config: LiveConfig): Stage {
  return {
    name: "replay",
    run(call: GatewayCall) {
      const env = requireEnvelope(call);
      const ttlMs = 2 * config.get().freshness_window_ms;
      if (!store.reserve(env.deviceSessionId, env.requestId, call.receivedAtMs, ttlMs)) {
        throw new GatewayRejection(Code.AlreadyExists, "replayed_request", "replay", "request_id was already used by this device session");
      }
    },
  };
}
