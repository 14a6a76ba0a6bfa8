// The public anti-abuse layer of PROTOCOL.md §3, in front of the backend's two public auth calls.
// Order: classification (405) → per-IP bucket (429) → content type (415) → size (413) → JSON object
// (400) → field shapes (400) → per-e-mail / per-challenge bucket (429) → forward to the backend.
import { z } from "zod";
import type { BackendRestClient } from "../backend/rest-client.js";
import { fromBase64Url } from "../../shared/bytes.js";
import { isValidPublicKey } from "../../shared/ed25519.js";
import { EMAIL_CODE_PATTERN, MAX_PUBLIC_BODY_BYTES, PUBLIC_KEY_BYTES, type EmulatorConfig, type RateLimitBudget } from "../../shared/protocol.js";
import { callBackend, relayedHeaders, requireJsonReply } from "./backend-relay.js";
import { clientAddress } from "./client-address.js";
import {
  HttpError,
  readJsonObject,
  sendJsonBytes,
  sendMethodNotAllowed,
  type AnyRequest,
  type AnyResponse,
} from "./http-json.js";
import { BUCKETS_PER_KIND, RateLimiter, retryAfterSeconds, type BucketStore } from "../rate-limiter.js";
import { StoreUnavailableError } from "../store-unavailable.js";

export const SEND_EMAIL_CODE_PATH = "/api/v1/public/auth/send-email-code";
export const CONFIRM_EMAIL_CODE_PATH = "/api/v1/public/auth/confirm-email-code";
export const PUBLIC_AUTH_PATHS: ReadonlySet<string> = new Set([SEND_EMAIL_CODE_PATH, CONFIRM_EMAIL_CODE_PATH]);

/** The §3 budgets, read on every call so a config PATCH applies at once (defaults in config.ts). */
export type PublicBudgets = EmulatorConfig["public_rate_limits"];

export const CHALLENGE_ID_PATTERN = /^[A-Za-z0-9_-]{1,128}$/;
export const MAX_EMAIL_LENGTH = 254;

const LOCAL_PART = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
const DOMAIN_LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

/**
 * RFC 5322 addr-spec, the sane subset: a dot-atom local part (≤ 64) @ a DNS name of at least two
 * labels whose last label is not numeric; ASCII only, no quoted local parts, no address literals.
 * Surrounding whitespace is ignored (as in the rate-limit key). At most 254 characters.
 */
export function isValidEmail(raw: string): boolean {
  const email = raw.trim();
  if (email.length === 0 || email.length > MAX_EMAIL_LENGTH) return false;
  const at = email.lastIndexOf("@");
  if (at < 1 || at > 64) return false;
  const local = email.slice(0, at);
  const labels = email.slice(at + 1).split(".");
  if (!LOCAL_PART.test(local) || labels.length < 2) return false;
  if (!labels.every((l) => DOMAIN_LABEL.test(l))) return false;
  return !/^[0-9]+$/.test(labels[labels.length - 1]!);
}

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

function isValidKeyText(text: string): boolean {
  if (text.length !== Math.ceil((PUBLIC_KEY_BYTES * 4) / 3)) return false;
  try {
    return isValidPublicKey(fromBase64Url(text));
  } catch {
    return false;
  }
}

const emailField = z
  .string({ error: "must be a string" })
  .refine(isValidEmail, { error: `must be an e-mail address of at most ${MAX_EMAIL_LENGTH} characters` });
const clientPublicKeyField = z
  .string({ error: "must be a string" })
  .refine(isValidKeyText, { error: "must be base64url (no padding) of a valid 32-byte Ed25519 public key" });

const sendBody = z.strictObject({ email: emailField });

const confirmBody = z.strictObject({
  challenge_id: z
    .string({ error: "must be a string" })
    .regex(CHALLENGE_ID_PATTERN, { error: "must be 1 to 128 characters of [A-Za-z0-9_-]" }),
  code: z.string({ error: "must be a string" }).regex(EMAIL_CODE_PATTERN, { error: "must be 6 digits" }),
  client_public_key: clientPublicKeyField,
});

/** POST /emulator/v1/sessions (control-plane.ts): the e-mail of send-email-code, the key of confirm-email-code. */
const seededSessionBody = z.strictObject({ email: emailField, client_public_key: clientPublicKeyField });

/** A seeded session's body by the same field rules as the two public calls; 400 naming each bad field. */
export function validateSeededSession(value: unknown): z.output<typeof seededSessionBody> {
  return validate(seededSessionBody, value);
}

/** zod issues → one message naming each offending field. */
function describeIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues
    .map((issue) =>
      issue.code === "unrecognized_keys"
        ? `${issue.keys.join(", ")}: unknown field`
        : `${issue.path.map(String).join(".") || "body"}: ${issue.message}`,
    )
    .join("; ");
}

function validate<T>(schema: z.ZodType<T>, value: unknown): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new HttpError(400, "invalid_request", describeIssues(parsed.error.issues));
  return parsed.data;
}

export interface PublicAuthDeps {
  backend: BackendRestClient;
  now(): number;
  budgets(): PublicBudgets;
  /** Most buckets kept per kind (LRU); bounds memory whatever keys callers invent. */
  maxKeys?: number;
  /** Shared buckets (cluster mode, redis/buckets.ts); default: in memory, `maxKeys` per kind. */
  buckets?: PublicBuckets;
}

/** One set of buckets per kind of key, so an e-mail address can never spend an IP's budget. */
export interface PublicBuckets {
  perIp: BucketStore;
  perEmail: BucketStore;
  perChallenge: BucketStore;
}

export interface PublicAuth {
  /** Answers a request whose path is one of PUBLIC_AUTH_PATHS; failures reject for `answerFailure`. */
  handle(req: AnyRequest, res: AnyResponse, path: string): Promise<void>;
  /** Forgets every bucket (control-plane reset). */
  clear(): Promise<void>;
}

export function createPublicAuth(deps: PublicAuthDeps): PublicAuth {
  const maxKeys = deps.maxKeys ?? BUCKETS_PER_KIND;
  const { perIp, perEmail, perChallenge } = deps.buckets ?? {
    perIp: new RateLimiter(maxKeys),
    perEmail: new RateLimiter(maxKeys),
    perChallenge: new RateLimiter(maxKeys),
  };

  /** Throws 429 when the bucket is empty; with shared buckets, 503 when they cannot be read (fail closed). */
  function limit(buckets: BucketStore, key: string, budget: RateLimitBudget, what: string): void | Promise<void> {
    const retryAfterMs = buckets.take(deps.now(), [{ key, budget }]);
    if (typeof retryAfterMs === "number") return refuseIfEmpty(retryAfterMs, what);
    return retryAfterMs.then(
      (ms) => refuseIfEmpty(ms, what),
      (err: unknown) => {
        if (!(err instanceof StoreUnavailableError)) throw err;
        throw new HttpError(503, "rate_limit_store_unavailable", `${err.message}; retry shortly`, { "retry-after": "1" });
      },
    );
  }

  function refuseIfEmpty(retryAfterMs: number, what: string): void {
    if (retryAfterMs > 0) {
      const seconds = retryAfterSeconds(retryAfterMs);
      throw new HttpError(429, "rate_limited", `too many requests ${what}; retry in ${seconds} s`, {
        "retry-after": String(seconds),
      });
    }
  }

  async function handle(req: AnyRequest, res: AnyResponse, path: string): Promise<void> {
    if (req.method !== "POST") return sendMethodNotAllowed(req, res, ["POST"]);
    await limit(perIp, clientAddress(req), deps.budgets().per_ip, "from this address");
    const { value } = await readJsonObject(req, MAX_PUBLIC_BODY_BYTES);
    let forward: unknown;
    if (path === SEND_EMAIL_CODE_PATH) {
      const body = validate(sendBody, value);
      await limit(perEmail, normalizeEmail(body.email), deps.budgets().per_email, "for this e-mail address");
      forward = body;
    } else {
      const body = validate(confirmBody, value);
      await limit(perChallenge, body.challenge_id, deps.budgets().per_challenge, "for this challenge");
      forward = body;
    }
    // Re-serialised from the validated value: the backend sees exactly what was checked (no duplicate
    // keys or other parser differentials).
    const reply = await callBackend(deps.backend, "POST", path, {
      body: Buffer.from(JSON.stringify(forward)),
      headers: { "content-type": "application/json" },
    });
    const bytes = requireJsonReply(reply);
    requireAnswerShape(path, reply.status, bytes);
    sendJsonBytes(req, res, reply.status, bytes, relayedHeaders(reply));
  }

  return {
    handle,
    async clear() {
      await Promise.all([perIp.clear(), perEmail.clear(), perChallenge.clear()]);
    },
  };
}

const ID = z.string().min(1).max(256);
const SUCCESS_SHAPES: Record<string, z.ZodType> = {
  [SEND_EMAIL_CODE_PATH]: z.object({ challenge_id: ID }),
  [CONFIRM_EMAIL_CODE_PATH]: z.object({ device_session_id: ID, user_id: ID }),
};
const ERROR_SHAPE = z.object({ error: z.object({ code: z.string().min(1).max(128), message: z.string().optional() }) });

/**
 * The backend's JSON must be what §3 promises before it is relayed: the success fields on 2xx, an
 * `{"error":{"code"}}` body on 4xx. Anything else is a broken backend: 502 backend_unavailable.
 */
function requireAnswerShape(path: string, status: number, bytes: Uint8Array): void {
  const value: unknown = JSON.parse(Buffer.from(bytes).toString("utf8"));
  const shape = status >= 200 && status < 300 ? SUCCESS_SHAPES[path] : ERROR_SHAPE;
  if (shape && !shape.safeParse(value).success) {
    throw new HttpError(502, "backend_unavailable", `the backend's HTTP ${status} answer does not have the expected fields`);
  }
}
