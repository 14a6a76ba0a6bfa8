// The public REST surface of PROTOCOL.md §1 and §3, as any game client calls it.
import type { ConfirmEmailCodeResponse, GatewayInfo, SendEmailCodeResponse } from "../../shared/protocol.js";
import { requestJson } from "./http.js";

export function getGatewayInfo(signal?: AbortSignal): Promise<GatewayInfo> {
  return requestJson<GatewayInfo>("GET", "/api/v1/public/gateway/info", undefined, signal ? { signal } : {});
}

export function sendEmailCode(email: string): Promise<SendEmailCodeResponse> {
  return requestJson<SendEmailCodeResponse>("POST", "/api/v1/public/auth/send-email-code", { email });
}

export function confirmEmailCode(
  challengeId: string,
  code: string,
  clientPublicKey: string,
): Promise<ConfirmEmailCodeResponse> {
  return requestJson<ConfirmEmailCodeResponse>("POST", "/api/v1/public/auth/confirm-email-code", {
    challenge_id: challengeId,
    code,
    client_public_key: clientPublicKey,
  });
}

export async function checkHealth(signal?: AbortSignal): Promise<boolean> {
  try {
    const res = await fetch(new URL("/healthz", location.origin), { cache: "no-store", signal });
    return res.ok;
  } catch {
    return false;
  }
}
