// The target's plain-HTTP side, as a client sees it: gateway info (PROTOCOL.md §1), the public auth
// calls (§3) and, on an emulator, the control plane (§7). Every call takes the check's AbortSignal, so
// a target that never answers cannot hold a check past its timeout.
import { fromBase64Url } from "../shared/bytes.js";
import { readBoundedText } from "../shared/bounded-text.js";
import { errorCodeOf } from "../shared/json-error.js";
import { PUBLIC_KEY_BYTES } from "../shared/protocol.js";
import { CheckFailed } from "./check-failed.js";

/** Longest body read from the target: info, mailbox and auth answers are a few hundred bytes. */
const MAX_BODY_BYTES = 1 << 20;

export interface GatewayInfo {
  protocolVersions: number[];
  publicKey: Uint8Array;
  freshnessWindowMs: number;
  /** Gateway clock minus ours, learned from server_time_ms (the midpoint of the call as our time). */
  clockOffsetMs: number;
}

/** Whether GET /emulator/v1/config answered: an emulator (present), one that wants a token (locked), or none. */
export type ControlPlane = { state: "present" } | { state: "absent" | "locked"; why: string };

export interface Target {
  url: string;
  info(signal: AbortSignal): Promise<GatewayInfo>;
  probeControlPlane(signal: AbortSignal): Promise<ControlPlane>;
  /** The §3 email-code flow with a code read from the emulator's mailbox. */
  signInThroughMailbox(email: string, clientPublicKey: string, signal: AbortSignal): Promise<{ deviceSessionId: string; userId: string }>;
  /** POST /emulator/v1/push; answers the event id. */
  push(injection: unknown, signal: AbortSignal): Promise<string>;
}

interface Answer {
  status: number;
  body: unknown;
}

export function target(url: string, controlToken: string | undefined): Target {
  const base = url.replace(/\/+$/, "");

  async function call(method: "GET" | "POST", path: string, signal: AbortSignal, body?: unknown, control = false): Promise<Answer> {
    const headers: Record<string, string> = {};
    if (body !== undefined) headers["content-type"] = "application/json";
    if (control && controlToken !== undefined) headers.authorization = `Bearer ${controlToken}`;
    let res: Response;
    try {
      res = await fetch(`${base}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal });
    } catch (err) {
      if (signal.aborted) throw signal.reason;
      throw new CheckFailed(`${method} ${path}: no answer (${describeFetchError(err)})`);
    }
    const text = await readBounded(res, `${method} ${path}`);
    let parsed: unknown;
    try {
      parsed = text === "" ? undefined : JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    return { status: res.status, body: parsed };
  }

  function expectOk(what: string, answer: Answer): Record<string, unknown> {
    if (answer.status !== 200) throw new CheckFailed(`${what}: HTTP ${answer.status}${errorCode(answer.body)}`);
    if (!isObject(answer.body)) throw new CheckFailed(`${what}: the answer is not a JSON object`);
    return answer.body;
  }

  return {
    url: base,

    async info(signal) {
      const sentAt = Date.now();
      const body = expectOk("GET /api/v1/public/gateway/info", await call("GET", "/api/v1/public/gateway/info", signal));
      const receivedAt = Date.now();
      const versions = body.protocol_versions;
      if (!Array.isArray(versions) || versions.length === 0 || !versions.every((v) => Number.isInteger(v) && v > 0)) {
        throw new CheckFailed("gateway info: protocol_versions is not a non-empty list of positive integers");
      }
      if (!versions.includes(1)) throw new CheckFailed(`gateway info: protocol_versions ${JSON.stringify(versions)} does not include 1`);
      let publicKey: Uint8Array;
      try {
        publicKey = fromBase64Url(String(body.response_signing_public_key));
      } catch {
        throw new CheckFailed("gateway info: response_signing_public_key is not base64url");
      }
      if (publicKey.length !== PUBLIC_KEY_BYTES) {
        throw new CheckFailed(`gateway info: response_signing_public_key is ${publicKey.length} bytes, not ${PUBLIC_KEY_BYTES}`);
      }
      const window = body.freshness_window_ms;
      if (!Number.isInteger(window) || (window as number) <= 0) throw new CheckFailed("gateway info: freshness_window_ms is not a positive integer");
      const serverTime = body.server_time_ms;
      if (!Number.isInteger(serverTime) || (serverTime as number) <= 0) throw new CheckFailed("gateway info: server_time_ms is not a positive integer");
      return {
        protocolVersions: versions as number[],
        publicKey,
        freshnessWindowMs: window as number,
        clockOffsetMs: (serverTime as number) - Math.round((sentAt + receivedAt) / 2),
      };
    },

    async probeControlPlane(signal) {
      const answer = await call("GET", "/emulator/v1/config", signal, undefined, true);
      if (answer.status === 200 && isObject(answer.body)) return { state: "present" };
      if (answer.status === 401 || answer.status === 403) {
        const why = controlToken === undefined
          ? `GET /emulator/v1/config answered ${answer.status}: an emulator with a token? give --token-file or $GALAXY_EMULATOR_TOKEN`
          : `GET /emulator/v1/config answered ${answer.status} to the token given`;
        return { state: "locked", why };
      }
      return { state: "absent", why: `GET /emulator/v1/config answered ${answer.status}` };
    },

    async signInThroughMailbox(email, clientPublicKey, signal) {
      const sent = expectOk("send-email-code", await call("POST", "/api/v1/public/auth/send-email-code", signal, { email }));
      const challengeId = sent.challenge_id;
      if (typeof challengeId !== "string") throw new CheckFailed("send-email-code: no challenge_id in the answer");
      const mailbox = expectOk("GET /emulator/v1/mailbox", await call("GET", `/emulator/v1/mailbox?email=${encodeURIComponent(email)}`, signal, undefined, true));
      const messages = Array.isArray(mailbox.messages) ? mailbox.messages : [];
      const message = messages.findLast((m: unknown) => isObject(m) && m.challenge_id === challengeId) as Record<string, unknown> | undefined;
      if (!message || typeof message.code !== "string") throw new CheckFailed(`mailbox: no code for challenge ${challengeId}`);
      const confirmed = expectOk(
        "confirm-email-code",
        await call("POST", "/api/v1/public/auth/confirm-email-code", signal, { challenge_id: challengeId, code: message.code, client_public_key: clientPublicKey }),
      );
      if (typeof confirmed.device_session_id !== "string" || typeof confirmed.user_id !== "string") {
        throw new CheckFailed("confirm-email-code: the answer lacks device_session_id or user_id");
      }
      return { deviceSessionId: confirmed.device_session_id, userId: confirmed.user_id };
    },

    async push(injection, signal) {
      const body = expectOk("POST /emulator/v1/push", await call("POST", "/emulator/v1/push", signal, injection, true));
      if (typeof body.event_id !== "string") throw new CheckFailed("POST /emulator/v1/push: no event_id in the answer");
      return body.event_id;
    },
  };
}

/** The body as text, refused past MAX_BODY_BYTES while it streams in (a lying or absent length included). */
function readBounded(res: Response, what: string): Promise<string> {
  return readBoundedText(res.body, MAX_BODY_BYTES, () => new CheckFailed(`${what}: answer larger than ${MAX_BODY_BYTES} bytes`));
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function errorCode(body: unknown): string {
  const code = errorCodeOf(body);
  return code !== undefined ? ` ${code}` : "";
}

function describeFetchError(err: unknown): string {
  const cause = err instanceof Error && err.cause instanceof Error ? err.cause : err;
  const code = (cause as { code?: unknown })?.code;
  return typeof code === "string" ? code : cause instanceof Error ? cause.message : String(cause);
}
