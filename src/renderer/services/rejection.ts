// Gateway rejections as the UI shows them: the Connect code plus the GatewayError detail, decoded by
// the client SDK (src/sdk/errors.ts), the one place that reads them.
import type { Code } from "@connectrpc/connect";
import { GatewayCallError, isTransientFailure } from "../../sdk/errors.js";

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

export function toRejection(error: unknown): Rejection {
  const e = GatewayCallError.from(error);
  const r: Rejection = { code: e.code.toUpperCase(), codeNumber: e.connectCode, message: e.message };
  if (e.reason !== undefined) r.reason = e.reason;
  if (e.stage !== undefined) r.stage = e.stage;
  if (e.retryAfterMs !== undefined) r.retryAfterMs = e.retryAfterMs;
  if (e.serverTimeMs !== undefined) r.serverTimeMs = e.serverTimeMs;
  return r;
}

/** Worth reconnecting a stream after (the SDK's rule: src/sdk/errors.ts `isTransientFailure`). */
export function isTransient(r: Rejection): boolean {
  return isTransientFailure(r.codeNumber, r.reason);
}
