// Stage 6, replay: each (device_session_id, request_id) is accepted once. Reservations are held at
// least until their timestamp is twice the window behind the gateway clock, and a timestamp at or
// below the store's horizon (the newest one it has dropped) is refused: after the window is raised or
// the clock offset moved back, a request whose reservation is gone cannot pass again (replay-store.ts).
import { Code } from "@connectrpc/connect";
import type { LiveConfig } from "../config.js";
import type { ReplayGuard, Reservation } from "../replay-store.js";
import { storeFailure } from "../store-unavailable.js";
import { GatewayRejection, requireEnvelope, type GatewayCall, type Stage } from "./stage.js";

/**
 * `latenessMs`: the longest a call can spend between its arrival and this stage (the session lookup's
 * backend deadline). Reservations are kept that much longer than two windows: a call held up that
 * long must not find its own, still fresh, timestamp already under the horizon that later calls
 * raised (their arrival times are that much later).
 */
export function replayStage(store: ReplayGuard, config: LiveConfig, latenessMs: number): Stage {
  const failed = storeFailure("replay");
  return {
    name: "replay",
    run(call: GatewayCall) {
      const env = requireEnvelope(call);
      const retainMs = 2 * config.get().freshness_window_ms + latenessMs;
      // Exact as a double: the freshness stage let through only timestamps within a day of the clock.
      const timestampMs = Number(env.timestampMs);
      const verdict = store.reserve(env.deviceSessionId, env.requestId, timestampMs, call.receivedAtMs, retainMs);
      // The in-memory store answers at once: no promise (and no extra microtask) on the default path.
      if (typeof verdict === "string") return judge(verdict, timestampMs);
      // A shared store that cannot answer refuses the call: replay protection is never skipped.
      return verdict.then((v) => judge(v, timestampMs), failed);
    },
  };

  function judge(verdict: Reservation, timestampMs: number): void {
    if (verdict === "replayed") {
      throw new GatewayRejection(Code.AlreadyExists, "replayed_request", "replay", "request_id was already used by this device session");
    }
    if (verdict === "beyond_horizon") {
      throw new GatewayRejection(
        Code.Unauthenticated,
        "stale_request",
        "replay",
        `timestamp_ms ${timestampMs} is at or before the replay horizon ${store.horizonMs}: the gateway no longer ` +
          "remembers requests that old (the window was raised, the clock offset moved back, or the store was full); sign it again with a current timestamp",
      );
    }
  }
}
