// Stage 7, rate_limit: token buckets per client IP, device session, user, and (user, message_type).
// The message_type bucket is per user so that one player's spam cannot throttle everyone's chat.
import { Code } from "@connectrpc/connect";
import type { LiveConfig } from "../config.js";
import { BUCKETS_PER_KIND, type BucketStore } from "../rate-limiter.js";
import { storeFailure } from "../store-unavailable.js";
import { GatewayRejection, requireEnvelope, requireSession, type GatewayCall, type Stage } from "./stage.js";

/** The four kinds of key below share one limiter, which keeps BUCKETS_PER_KIND of each. */
export const RATE_LIMIT_BUCKETS = 4 * BUCKETS_PER_KIND;

export function rateLimitStage(limiter: BucketStore, config: LiveConfig): Stage {
  const failed = storeFailure("rate_limit");
  return {
    name: "rate_limit",
    run(call: GatewayCall) {
      const env = requireEnvelope(call);
      const session = requireSession(call);
      const budgets = config.get().rate_limits;
      const retryAfterMs = limiter.take(call.receivedAtMs, [
        { key: `ip:${call.clientIp}`, budget: budgets.per_ip },
        { key: `ds:${env.deviceSessionId}`, budget: budgets.per_session },
        { key: `u:${session.user_id}`, budget: budgets.per_user },
        { key: `mt:${session.user_id}:${env.messageType}`, budget: budgets.per_message_type },
      ]);
      // The in-memory limiter answers at once: no promise on the default path. Shared buckets that
      // cannot answer refuse the call (fail closed).
      if (typeof retryAfterMs === "number") return judge(retryAfterMs);
      return retryAfterMs.then(judge, failed);
    },
  };
}

function judge(retryAfterMs: number): void {
  if (retryAfterMs > 0) {
    throw new GatewayRejection(Code.ResourceExhausted, "rate_limited", "rate_limit", "rate limit exceeded", retryAfterMs);
  }
}
