// The public REST surface of PROTOCOL.md §1 and §3, as any game client calls it.
import type { ConfirmEmailCodeResponse, GatewayInfo, SendEmailCodeResponse } from "../../shared/protocol.js";
import type { JsonHttp } from "./http.js";

export interface PublicApi {
  getGatewayInfo(signal?: AbortSignal): Promise<GatewayInfo>;
  sendEmailCode(email: string): Promise<SendEmailCodeResponse>;
  confirmEmailCode(challengeId: string, code: string, clientPublicKey: string): Promise<ConfirmEmailCodeResponse>;
}

export function createPublicApi(http: JsonHttp): PublicApi {
  return {
    getGatewayInfo: (signal) => http.requestJson<GatewayInfo>("GET", "/api/v1/public/gateway/info", undefined, signal ? { signal } : {}),
    sendEmailCode: (email) => http.requestJson<SendEmailCodeResponse>("POST", "/api/v1/public/auth/send-email-code", { email }),
    confirmEmailCode: (challengeId, code, clientPublicKey) =>
      http.requestJson<ConfirmEmailCodeResponse>("POST", "/api/v1/public/auth/confirm-email-code", {
        challenge_id: challengeId,
        code,
        client_public_key: clientPublicKey,
      }),
  };
}
