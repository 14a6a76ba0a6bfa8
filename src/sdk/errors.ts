// The three ways a gateway call fails, as typed errors a client can branch on:
// - GatewayCallError: the RPC failed — the gateway rejected it (Connect code + GatewayError detail:
//   reason, stage, retry_after_ms, server_time_ms; PROTOCOL.md §4) or it never got an answer;
// - GatewayHttpError: a public REST call (§3) answered an error (`{"error":{"code","message"}}`);
// - VerificationError: an answer or event did not verify against the pinned gateway key. Never retried:
//   it means something between the client and the gateway is not the gateway it pinned.
import { Code, ConnectError } from "@connectrpc/connect";
import { GatewayErrorSchema } from "../shared/gen/galaxy/gateway/v1/gateway_pb.js";

/** Connect's code name as the Connect protocol spells it on the wire, e.g. "invalid_argument". */
export function connectCodeName(code: Code): string {
  const name = Code[code] ?? `code_${code}`;
  return name.replace(/([a-z])([A-Z])/g, "$1_$2").toLowerCase();
}

export class GatewayCallError extends Error {
  override readonly name = "GatewayCallError";
  /** Connect's code name, lower snake case as on the wire and in the journal: "unauthenticated". */
  readonly code: string;
  /** The same code as @connectrpc/connect's `Code` enum. */
  readonly connectCode: Code;
  /** GatewayError.reason ("invalid_signature", "session_revoked", …); absent when the gateway did not answer. */
  readonly reason: string | undefined;
  /** GatewayError.stage: the §4 stage that rejected the call ("signature", "freshness", …), or "push". */
  readonly stage: string | undefined;
  /** With `rate_limited`: how long to wait before calling again. */
  readonly retryAfterMs: number | undefined;
  /** The gateway's clock when it rejected the call. */
  readonly serverTimeMs: number | undefined;

  constructor(connectCode: Code, message: string, detail: { reason?: string; stage?: string; retryAfterMs?: number; serverTimeMs?: number } = {}) {
    super(message);
    this.connectCode = connectCode;
    this.code = connectCodeName(connectCode);
    this.reason = detail.reason;
    this.stage = detail.stage;
    this.retryAfterMs = detail.retryAfterMs;
    this.serverTimeMs = detail.serverTimeMs;
  }

  /** Any failure of a connect-web call (a ConnectError, a fetch TypeError, …) as a GatewayCallError. */
  static from(error: unknown): GatewayCallError {
    if (error instanceof GatewayCallError) return error;
    const ce = ConnectError.from(error);
    const detail = gatewayErrorDetail(ce);
    return new GatewayCallError(ce.code, ce.rawMessage, {
      ...(detail?.reason ? { reason: detail.reason } : {}),
      ...(detail?.stage ? { stage: detail.stage } : {}),
      ...(detail && detail.retryAfterMs !== 0n ? { retryAfterMs: Number(detail.retryAfterMs) } : {}),
      ...(detail && detail.serverTimeMs !== 0n ? { serverTimeMs: Number(detail.serverTimeMs) } : {}),
    });
  }
}

function gatewayErrorDetail(ce: ConnectError) {
  try {
    return ce.findDetails(GatewayErrorSchema)[0];
  } catch {
    // A detail that does not decode is no GatewayError: the code alone stands.
    return undefined;
  }
}

/**
 * Worth retrying (a stream reconnect): UNAVAILABLE, RESOURCE_EXHAUSTED, or a failure that is not a
 * gateway answer at all. The gateway never answers UNKNOWN or INTERNAL (docs/SECURITY.md), so those
 * without a GatewayError reason come from the way there (fetch rejected, stream cut, body ended early):
 * classified by code, not by a browser's or connect-web's wording, which nobody promises.
 */
export function isTransientFailure(code: Code, reason: string | undefined): boolean {
  if (code === Code.Unavailable || code === Code.ResourceExhausted) return true;
  if (reason) return false;
  return code === Code.Unknown || code === Code.Internal;
}

export class GatewayHttpError extends Error {
  override readonly name = "GatewayHttpError";
  constructor(
    /** HTTP status; 0 when no answer came (network error). */
    readonly status: number,
    /**
     * The §3 error code ("invalid_code", "rate_limited", …), `http_<status>` without one; and the client's
     * own: `network_error`, `timeout` (no answer within timeoutMs), `answer_too_large`, `invalid_response`.
     */
    readonly code: string,
    message: string,
    /** From Retry-After (429), in ms. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

export class VerificationError extends Error {
  override readonly name = "VerificationError";
  constructor(
    /** What failed: "bad signature", "payload hash mismatch", "request_id not echoed", … */
    readonly problem: string,
    what: "response" | "event",
  ) {
    super(`the gateway's ${what} did not verify against the pinned key: ${problem}`);
  }
}
