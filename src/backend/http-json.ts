// JSON-over-HTTP helpers shared by every REST route of the mock backend: bounded body reading,
// replies, the `{"error":{"code","message"}}` shape, and small field validators.
import type { IncomingMessage, ServerResponse } from "node:http";
import { fromUtf8 } from "../shared/bytes.js";
import type { RestErrorBody } from "../shared/protocol.js";

/** Largest request body the mock accepts; bigger ones are refused with 413 before being buffered. */
export const MAX_BODY_BYTES = 64 * 1024;

/** A failure that maps straight onto an HTTP status and a JSON error code. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** Extra response headers, e.g. `Allow` for 405. */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export const invalidRequest = (message: string): HttpError => new HttpError(400, "invalid_request", message);
export const notFound = (message: string): HttpError => new HttpError(404, "not_found", message);

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const bytes = Buffer.from(JSON.stringify(body));
  res.writeHead(status, {
    ...headers,
    "content-type": "application/json; charset=utf-8",
    "content-length": bytes.length,
    "cache-control": "no-store",
  });
  res.end(bytes);
}

export function sendError(res: ServerResponse, error: HttpError): void {
  const body: RestErrorBody = { error: { code: error.code, message: error.message } };
  sendJson(res, error.status, body, error.headers);
}

function isJsonContentType(value: string | undefined): boolean {
  const mediaType = value?.split(";")[0]?.trim().toLowerCase();
  return mediaType === "application/json" || (mediaType?.endsWith("+json") ?? false);
}

function announcesBody(req: IncomingMessage): boolean {
  const length = req.headers["content-length"];
  return (length !== undefined && length !== "0") || req.headers["transfer-encoding"] !== undefined;
}

/**
 * Reads and parses a JSON body. An empty body reads as `{}` (the gateway forwards `{}`-like empty
 * payloads; callers still validate their fields). Refuses early, before buffering: a non-JSON
 * content type (415) and a declared or streamed size above MAX_BODY_BYTES (413).
 */
export async function readJsonBody(req: IncomingMessage): Promise<unknown> {
  if (announcesBody(req) && !isJsonContentType(req.headers["content-type"])) {
    throw new HttpError(415, "unsupported_media_type", "the body must be application/json");
  }
  const declared = Number(req.headers["content-length"] ?? 0);
  if (declared > MAX_BODY_BYTES) throw tooLarge();

  const body = await readBounded(req);
  if (body.length === 0) return {};
  try {
    return JSON.parse(fromUtf8(body));
  } catch {
    throw invalidRequest("the body is not well-formed UTF-8 JSON");
  }
}

/**
 * Buffers the body up to MAX_BODY_BYTES. On overflow it stops buffering but keeps discarding what
 * still arrives (rather than destroying the request, which would kill the socket before the 413
 * is written, or leave unread bytes that make the kernel reset the connection under the reply).
 */
function readBounded(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        cleanup();
        req.resume();
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      cleanup();
      resolve(Buffer.concat(chunks));
    };
    const onError = (err: Error): void => {
      cleanup();
      reject(err);
    };
    const cleanup = (): void => {
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("error", onError);
    };
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("error", onError);
  });
}

function tooLarge(): HttpError {
  // Connection: close, because the rest of the body is left unread on the socket.
  return new HttpError(413, "payload_too_large", `the body exceeds ${MAX_BODY_BYTES} bytes`, { connection: "close" });
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
