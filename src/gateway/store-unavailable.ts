// The one failure a shared store (cluster mode's Redis) reports: it could not answer. The stages turn it
// into UNAVAILABLE with the store's own reason and the public auth layer into 503, never into a pass:
// a replay check or a budget that cannot be read refuses the call (fail closed, docs/SECURITY.md).
import { Code } from "@connectrpc/connect";
import type { GatewayReason, PipelineStageName } from "../shared/protocol.js";
import { GatewayRejection } from "./stages/stage.js";

/** The shared stores, by what they hold; each has its own rejection reason. */
export type SharedStore = "replay" | "rate_limit" | "session";

export const STORE_UNAVAILABLE_REASONS = {
  replay: "replay_store_unavailable",
  rate_limit: "rate_limit_store_unavailable",
  session: "session_store_unavailable",
} as const satisfies Record<SharedStore, GatewayReason>;

export class StoreUnavailableError extends Error {
  constructor(
    readonly store: SharedStore,
    cause: unknown,
  ) {
    super(`the shared ${store.replace("_", "-")} store did not answer: ${redisUnavailable(cause)}`, { cause });
  }

  /** UNAVAILABLE with the store's reason: retryable, as the store reconnects by itself. */
  toRejection(stage: PipelineStageName): GatewayRejection {
    return new GatewayRejection(Code.Unavailable, STORE_UNAVAILABLE_REASONS[this.store], stage, this.message);
  }
}

/**
 * What a client (or a control-plane caller) is told about a failed Redis command: "Redis unavailable
 * (<short cause>)", not the client library's wording ("Stream isn't writeable and enableOfflineQueue
 * options is false"), which names its options rather than what happened.
 */
export function redisUnavailable(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  let cause = text;
  if (/Stream isn't writeable|Connection is closed|ECONNREFUSED|ECONNRESET|EPIPE/i.test(text)) cause = "not connected";
  else if (/timed? ?out/i.test(text)) cause = "no answer in time";
  return `Redis unavailable (${cause})`;
}

/** Rethrows a StoreUnavailableError as the stage's rejection; anything else as it is. */
export function storeFailure(stage: PipelineStageName): (err: unknown) => never {
  return (err) => {
    throw err instanceof StoreUnavailableError ? err.toRejection(stage) : err;
  };
}
