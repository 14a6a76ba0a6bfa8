// Gateway rejections as the UI shows them: the Connect code plus the GatewayError detail.
import { Code, ConnectError } from "@connectrpc/connect";
import { GatewayErrorSchema } from "../../shared/gen/galaxy/gateway/v1/gateway_pb.js";

export interface Rejection {
  /** Upper snake case Connect code, e.g. "INVALID_ARGUMENT". */
  code: string;
  codeNumber: Code;
  reason?: string;
  stage?: string;
  retryAfterMs?: number;
  serverTimeMs?: number;
  message: string;
}

export function codeName(code: Code): string {
  const name = Code[code] ?? `CODE_${code}`;
  return name.replace(/([a-z])([A-Z])/g, "$1_$2").toUpperCase();
}

export function toRejection(error: unknown): Rejection {
  const ce = ConnectError.from(error);
  const detail = safeDetail(ce);
  const r: Rejection = { code: codeName(ce.code), codeNumber: ce.code, message: ce.rawMessage };
  if (detail) {
    if (detail.reason) r.reason = detail.reason;
    if (detail.stage) r.stage = detail.stage;
    if (detail.retryAfterMs !== 0n) r.retryAfterMs = Number(detail.retryAfterMs);
    if (detail.serverTimeMs !== 0n) r.serverTimeMs = Number(detail.serverTimeMs);
  }
  return r;
}

function safeDetail(ce: ConnectError) {
  try {
    return ce.findDetails(GatewayErrorSchema)[0];
  } catch {
    return undefined;
  }
}

/**
 * Worth reconnecting a stream after: UNAVAILABLE, RESOURCE_EXHAUSTED, or a failure that is not a
 * gateway answer at all. The gateway never answers UNKNOWN or INTERNAL (docs/SECURITY.md), so those
 * without a GatewayError reason come from the way there (fetch rejected, stream cut, body ended early):
 * classified by code, not by the browser's or connect-web's wording, which nobody promises.
 */
export function isTransient(r: Rejection): boolean {
  if (r.codeNumber === Code.Unavailable) return true;
  if (r.codeNumber === Code.ResourceExhausted) return true;
  if (r.reason) return false;
  return r.codeNumber === Code.Unknown || r.codeNumber === Code.Internal;
}
