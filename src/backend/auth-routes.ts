// PROTOCOL.md §3 public auth (email code → device session) and the §6 internal session lookup.
import { randomInt } from "node:crypto";
import { secretsMatch } from "../node/secret-token.js";
import type { BackendSession, ConfirmEmailCodeResponse, SendEmailCodeResponse } from "../shared/protocol.js";
import { EMAIL_CODE_PATTERN, MAX_CODE_ATTEMPTS } from "../shared/protocol.js";
import { fromBase64Url } from "../shared/bytes.js";
import { isValidPublicKey } from "../shared/ed25519.js";
import { HttpError } from "../node/http-json.js";
import { asObject, invalidRequest, notFound, requireString, type JsonObject } from "./http-json.js";
import type { Route } from "./router.js";
import type { MockStore } from "./store.js";

/** Deliberately loose: the gateway's anti-abuse layer does the strict syntax check. */
export const EMAIL_PATTERN = /^[^\s@]+@[^\s@]+$/;

export function authRoutes(store: MockStore): Route[] {
  return [
    {
      method: "POST",
      path: "/api/v1/public/auth/send-email-code",
      async handler(ctx) {
        const body = asObject(await ctx.body());
        const email = requireEmail(body);
        const code = String(randomInt(0, 1_000_000)).padStart(6, "0");
        const challenge = store.createChallenge(email, code);
        store.deliverMail({ email: challenge.email, code, challenge_id: challenge.challenge_id, sent_at_ms: store.now() });
        const reply: SendEmailCodeResponse = { challenge_id: challenge.challenge_id };
        return { body: reply };
      },
    },
    {
      method: "POST",
      path: "/api/v1/public/auth/confirm-email-code",
      async handler(ctx) {
        const body = asObject(await ctx.body());
        const challengeId = requireString(body, "challenge_id", { max: 128 });
        const code = requireString(body, "code", { max: 6 });
        if (!EMAIL_CODE_PATTERN.test(code)) throw invalidRequest(`"code" must be 6 digits`);
        const clientPublicKey = requireClientPublicKey(body);

        const challenge = store.challenge(challengeId);
        if (!challenge) throw invalidRequest("unknown challenge");
        if (challenge.used) throw new HttpError(410, "challenge_expired", "the challenge was already used");
        if (challenge.wrong_attempts >= MAX_CODE_ATTEMPTS) throw tooManyAttempts();
        if (store.now() >= challenge.expires_at_ms) throw new HttpError(410, "challenge_expired", "the code has expired");
        if (!secretsMatch(code, challenge.code)) {
          challenge.wrong_attempts += 1;
          if (challenge.wrong_attempts >= MAX_CODE_ATTEMPTS) throw tooManyAttempts();
          throw new HttpError(401, "invalid_code", "wrong code");
        }

        challenge.used = true;
        const user = store.userForEmail(challenge.email);
        const session = store.createSession(user.user_id, clientPublicKey);
        const reply: ConfirmEmailCodeResponse = { device_session_id: session.device_session_id, user_id: user.user_id };
        return { body: reply };
      },
    },
    {
      method: "GET",
      path: "/api/v1/internal/sessions/:id",
      handler(ctx) {
        const session = store.session(ctx.params["id"]!);
        if (!session) throw notFound("unknown device session");
        const reply: BackendSession = { ...session };
        return { body: reply };
      },
    },
  ];
}

/** The body's `email`, trimmed, or 400 (send-email-code, and the seeded sessions of emulator-routes.ts). */
export function requireEmail(body: JsonObject): string {
  const email = requireString(body, "email", { max: 254 }).trim();
  if (!EMAIL_PATTERN.test(email)) throw invalidRequest(`"email" is not an email address`);
  return email;
}

/** The body's `client_public_key`, or 400 (confirm-email-code, and the seeded sessions of emulator-routes.ts). */
export function requireClientPublicKey(body: JsonObject): string {
  const key = requireString(body, "client_public_key", { max: 64 });
  if (!isValidClientPublicKey(key)) throw invalidRequest(`"client_public_key" must be a valid Ed25519 public key, base64url without padding`);
  return key;
}

export function isValidClientPublicKey(text: string): boolean {
  try {
    return isValidPublicKey(fromBase64Url(text));
  } catch {
    return false;
  }
}

function tooManyAttempts(): HttpError {
  return new HttpError(429, "too_many_attempts", `the challenge died after ${MAX_CODE_ATTEMPTS} wrong codes`);
}
