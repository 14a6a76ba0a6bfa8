// Stage 5, freshness: the client clock must be within the window of the gateway clock.
import { Code } from "@connectrpc/connect";
import type { LiveConfig } from "../config.js";
import { GatewayRejection, requireEnvelope, type GatewayCall, type Stage } from "./stage.js";

export function freshnessStage(config: LiveConfig): Stage {
  return {
    name: "freshness",
    run(call: GatewayCall) {
      const { timestampMs } = requireEnvelope(call);
      const windowMs = config.get().freshness_window_ms;
      // bigint arithmetic: timestamp_ms is any int64, far beyond a double's exact range.
      const skew = BigInt(Math.trunc(call.receivedAtMs)) - timestampMs;
      if (skew > BigInt(windowMs) || -skew > BigInt(windowMs)) {
        throw new GatewayRejection(
          Code.Unauthenticated,
          "stale_request",
          "freshness",
          `timestamp_ms is ${skew} ms from the gateway clock; the window is ±${windowMs} ms`,
        );
      }
    },
  };
}
