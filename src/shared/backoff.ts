// Reconnect delays, for every backoff loop of the tree: the gateway's push dispatcher (gateway →
// backend), the console's event streams and its journal feed (renderer → gateway). Pure arithmetic, so both runtimes
// share it; each loop keeps its own timer and abort wiring (abortable-delay.ts) and its own policy.

export interface BackoffPolicy {
  /** Delay before the first retry. */
  baseMs: number;
  /** No delay is longer, jitter included. */
  capMs: number;
}

/**
 * Delay before retry `attempt` (1-based): baseMs, doubling per attempt, capped at capMs; then ±20 %
 * jitter (still capped), so clients that lost the same server at the same moment do not all come
 * back in the same instant; never shorter than what the server asked for (`retryAfterMs`).
 * `random` is the jitter source (tests pass a constant; 0.5 means no jitter).
 */
export function backoffDelay(
  policy: BackoffPolicy,
  attempt: number,
  options: { retryAfterMs?: number; random?: () => number } = {},
): number {
  const { retryAfterMs = 0, random = Math.random } = options;
  const exponential = Math.min(policy.capMs, policy.baseMs * 2 ** Math.max(0, attempt - 1));
  const jittered = Math.min(policy.capMs, exponential * (0.8 + 0.4 * random()));
  return Math.max(Math.round(jittered), retryAfterMs);
}
