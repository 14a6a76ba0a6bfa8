// Stage 7, rate_limit: token buckets per client IP, device session, user, and (user, message_type).
// The message_type bucket is per user so that one player's spam cannot throttle everyone's chat.
import { Code } from "@connectrpc/connect";
import type { LiveConfig } from "../config.js";
import { BUCKETS_PER_KIND, type RateLimiter } from "../rate-limiter.js";
import { GatewayRejection, requireEnvelope, requireSession, type GatewayCall, type Stage } from "./stage.js";

/** The four kinds of key below share one limiter, which keeps BUCKETS_PER_KIND of each. */
export const RATE_LIMIT_BUCKETS = 4 * BUCKETS_PER_KIND;

export function rateLimitStage(limiter: RateLimiter, config: LiveConfig): Stage {
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
      if (retryAfterMs > 0) {
        throw new GatewayRejection(Code.ResourceExhausted, "rate_limited", "rate_limit", "rate limit exceeded", retryAfterMs);
      }
    },
  };
}
