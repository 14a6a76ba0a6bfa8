// The public REST surface (PROTOCOL.md §1, §3) over the fetch the client was given: JSON in, JSON out,
// every error as a GatewayHttpError carrying the §3 code.
import type { ConfirmEmailCodeResponse, GatewayInfo, SendEmailCodeResponse } from "../shared/protocol.js";
import { GatewayHttpError } from "./errors.js";
import { readBoundedText } from "../shared/bounded-text.js";
import { jsonErrorOf, parseJsonText } from "../shared/json-error.js";

export type Fetch = typeof globalThis.fetch;

/** Longest error text kept from a non-JSON error body: enough to read, bounded whatever the server sends. */
const MAX_ERROR_TEXT = 300;
/** §3 answers and gateway info are under 1 KiB: 64 KiB bounds what a misbehaving server makes a client hold. */
export const MAX_REST_ANSWER_BYTES = 64 * 1024;

export interface PublicRest {
  gatewayInfo(signal?: AbortSignal): Promise<GatewayInfo>;
  sendEmailCode(email: string): Promise<SendEmailCodeResponse>;
  confirmEmailCode(challengeId: string, code: string, clientPublicKey: string): Promise<ConfirmEmailCodeResponse>;
}

export function createPublicRest(baseUrl: string, fetchImpl: Fetch, timeoutMs: number): PublicRest {
  async function call<T>(method: "GET" | "POST", path: string, body?: unknown, callerSignal?: AbortSignal): Promise<T> {
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = callerSignal ? AbortSignal.any([callerSignal, timeout]) : timeout;
    let res: Response;
    try {
      res = await fetchImpl(`${baseUrl}${path}`, {
        method,
        headers: body === undefined ? { accept: "application/json" } : { accept: "application/json", "content-type": "application/json" },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal,
      });
    } catch (e) {
      if (callerSignal?.aborted) throw e;
      if (timeout.aborted) throw new GatewayHttpError(0, "timeout", `${method} ${path}: no answer within ${timeoutMs} ms`);
      throw new GatewayHttpError(0, "network_error", `${method} ${path}: ${(e as Error).message}`);
    }
    let text: string;
    try {
      text = await readBounded(res, `${method} ${path}`);
    } catch (e) {
      if (callerSignal?.aborted || e instanceof GatewayHttpError) throw e;
      throw new GatewayHttpError(res.status, timeout.aborted ? "timeout" : "network_error", `${method} ${path}: the answer was cut: ${(e as Error).message}`);
    }
    const json = parseJsonText(text);
    if (!res.ok) {
      const err = jsonErrorOf(res.status, json, text, res.statusText, MAX_ERROR_TEXT);
      const retryAfter = Number(res.headers.get("retry-after") ?? "");
      throw new GatewayHttpError(
        res.status,
        err.code,
        `${method} ${path}: ${err.message}`,
        Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : undefined,
      );
    }
    if (json === undefined) throw new GatewayHttpError(res.status, "invalid_response", `${method} ${path}: the answer is not JSON`);
    return json as T;
  }

  return {
    gatewayInfo: (signal) => call<GatewayInfo>("GET", "/api/v1/public/gateway/info", undefined, signal),
    sendEmailCode: (email) => call<SendEmailCodeResponse>("POST", "/api/v1/public/auth/send-email-code", { email }),
    confirmEmailCode: (challengeId, code, clientPublicKey) =>
      call<ConfirmEmailCodeResponse>("POST", "/api/v1/public/auth/confirm-email-code", {
        challenge_id: challengeId,
        code,
        client_public_key: clientPublicKey,
      }),
  };
}

/** The body as text, refusing more than MAX_REST_ANSWER_BYTES (the rest is not read). */
function readBounded(res: Response, what: string): Promise<string> {
  return readBoundedText(res.body, MAX_REST_ANSWER_BYTES, () => new GatewayHttpError(res.status, "answer_too_large", `${what}: the answer exceeds ${MAX_REST_ANSWER_BYTES} bytes`));
}
