// The mock backend's REST rules on top of the shared JSON-over-HTTP helpers (src/node/http-json.ts,
// also the gateway's): its body limit, its lenient empty body, and small field validators.
import type { IncomingMessage } from "node:http";
import { HttpError, isJsonContentType, parseJson, readBoundedBody } from "../node/http-json.js";

/** Largest request body the mock accepts; bigger ones are refused with 413 before being buffered. */
export const MAX_BODY_BYTES = 64 * 1024;

export const invalidRequest = (message: string): HttpError => new HttpError(400, "invalid_request", message);
export const notFound = (message: string): HttpError => new HttpError(404, "not_found", message);

function announcesBody(req: IncomingMessage): boolean {
  const length = req.headers["content-length"];
  return (length !== undefined && length !== "0") || req.headers["transfer-encoding"] !== undefined;
}

/**
 * Reads and parses a JSON body. An empty body reads as `{}` without a content type (the gateway
 * forwards `{}`-like empty payloads; callers still validate their fields). A body must be JSON by
 * the shared rule (415), at most `limit` bytes (413, refused before buffering), well-formed (400).
 * Throws HttpError, PayloadTooLargeError or ClientGoneError, for `answerFailure`.
 */
export async function readJsonBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<unknown> {
  if (announcesBody(req) && !isJsonContentType(req.headers["content-type"])) {
    throw new HttpError(415, "unsupported_media_type", "the body must be application/json");
  }
  const body = await readBoundedBody(req, limit);
  return body.length === 0 ? {} : parseJson(body);
}

// --- field validation: every helper throws 400 invalid_request naming the offending field ---

export type JsonObject = Record<string, unknown>;

export function asObject(value: unknown, what = "the body"): JsonObject {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw invalidRequest(`${what} must be a JSON object`);
  }
  return value as JsonObject;
}

/** Length in Unicode code points, so an emoji counts as one character. */
function charLength(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

export function requireString(obj: JsonObject, field: string, opts: { min?: number; max?: number } = {}): string {
  const value = obj[field];
  if (typeof value !== "string") throw invalidRequest(`"${field}" must be a string`);
  const { min = 1, max = 1024 } = opts;
  const length = charLength(value);
  if (length < min || length > max) throw invalidRequest(`"${field}" must be ${min}..${max} characters`);
  return value;
}

export function optionalString(obj: JsonObject, field: string, opts: { min?: number; max?: number } = {}): string | undefined {
  if (obj[field] === undefined) return undefined;
  return requireString(obj, field, opts);
}
