// JSON plumbing of the plain-HTTP surface: typed answers, `{"error":{"code","message"}}` bodies, and a
// bounded body reader that refuses oversize bodies before buffering them whole.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Http2ServerRequest, Http2ServerResponse } from "node:http2";
import { constants as h2constants } from "node:http2";
import type { Readable, Writable } from "node:stream";
import { fromUtf8 } from "../../shared/bytes.js";
import type { PublicErrorCode } from "../../shared/protocol.js";

export type AnyRequest = IncomingMessage | Http2ServerRequest;
export type AnyResponse = ServerResponse | Http2ServerResponse;

/**
 * Error codes this surface answers with: the public ones of protocol.ts, plus `internal_error` for the
 * catch-all that turns an unexpected exception into an answer instead of a crash (never on purpose).
 */
export type RestErrorCode = PublicErrorCode | "internal_error";

/** The slice of both response flavours (HTTP/1.1 and HTTP/2 compat) that this surface uses. */
interface ResponseLike {
  statusCode: number;
  readonly headersSent: boolean;
  setHeader(name: string, value: string | number | readonly string[]): unknown;
  end(data?: Uint8Array | string): unknown;
}

function asResponse(res: AnyResponse): ResponseLike {
  return res as unknown as ResponseLike;
}

export function isHttp2(req: AnyRequest): req is Http2ServerRequest {
  return req.httpVersionMajor === 2;
}

/** The response's writable side, for `close`/`finish` listeners on either flavour. */
export function responseStream(res: AnyResponse): Writable {
  return res;
}

export type Headers = Record<string, string | number | readonly string[]>;

/** Writes a complete answer (no body for HEAD). Ignores the call if the answer already started. */
export function send(
  req: AnyRequest,
  res: AnyResponse,
  status: number,
  body: Uint8Array | string,
  headers: Headers = {},
): void {
  const r = asResponse(res);
  if (r.headersSent || responseStream(res).writableEnded) return;
  const bytes = typeof body === "string" ? Buffer.from(body, "utf8") : body;
  r.statusCode = status;
  for (const [name, value] of Object.entries(headers)) r.setHeader(name, value);
  r.setHeader("content-length", bytes.length);
  r.end(req.method === "HEAD" ? undefined : bytes);
}

/** Sets headers on an answer that is written later (by this surface or by the RPC handler). */
export function setHeaders(res: AnyResponse, headers: Headers): void {
  const r = asResponse(res);
  if (r.headersSent) return;
  for (const [name, value] of Object.entries(headers)) r.setHeader(name, value);
}

/** A 204: headers only, without the Content-Length that RFC 9110 forbids on it. */
export function sendNoContent(res: AnyResponse, headers: Headers): void {
  const r = asResponse(res);
  if (r.headersSent || responseStream(res).writableEnded) return;
  r.statusCode = 204;
  setHeaders(res, headers);
  r.end();
}

const JSON_HEADERS: Headers = {
  "content-type": "application/json",
  "cache-control": "no-store",
  "x-content-type-options": "nosniff",
};

export function sendJson(req: AnyRequest, res: AnyResponse, status: number, value: unknown, headers: Headers = {}): void {
  send(req, res, status, JSON.stringify(value), { ...JSON_HEADERS, ...headers });
}

/** Relays JSON bytes that were already validated as JSON. */
export function sendJsonBytes(req: AnyRequest, res: AnyResponse, status: number, bytes: Uint8Array, headers: Headers = {}): void {
  send(req, res, status, bytes, { ...JSON_HEADERS, ...headers });
}

export function sendError(
  req: AnyRequest,
  res: AnyResponse,
  status: number,
  code: RestErrorCode,
  message: string,
  headers: Headers = {},
): void {
  sendJson(req, res, status, { error: { code, message } }, headers);
}

export function sendMethodNotAllowed(req: AnyRequest, res: AnyResponse, allow: readonly string[]): void {
  sendError(req, res, 405, "method_not_allowed", `${req.method ?? "?"} is not allowed here; use ${allow.join(" or ")}`, {
    allow: allow.join(", "),
  });
}

/** A failure that maps to one error answer. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: RestErrorCode,
    message: string,
    readonly headers: Headers = {},
  ) {
    super(message);
  }
}

export function sendHttpError(req: AnyRequest, res: AnyResponse, err: HttpError): void {
  sendError(req, res, err.status, err.code, err.message, err.headers);
}

/** The request's body was larger than allowed (declared or counted). */
export class PayloadTooLargeError extends HttpError {
  constructor(limit: number) {
    super(413, "payload_too_large", `body larger than ${limit} bytes`);
  }
}

/** The client went away before the body was complete: nobody is left to answer. */
export class ClientGoneError extends Error {}

/**
 * Reads the body, at most `limit` bytes. A declared Content-Length past the limit is refused before
 * reading anything; otherwise bytes are counted as they arrive and the read stops at the first byte
 * past the limit (a lying or absent Content-Length, chunked bodies). Rejects with PayloadTooLargeError
 * (answer with `refuseOversize`) or ClientGoneError.
 */
export function readBoundedBody(req: AnyRequest | (Readable & { headers: AnyRequest["headers"] }), limit: number): Promise<Buffer> {
  const declared = req.headers["content-length"];
  if (declared !== undefined) {
    // Node's parser already refuses a malformed Content-Length on HTTP/1.1; be defensive anyway.
    const n = /^\d{1,15}$/.test(declared) ? Number(declared) : Number.NaN;
    if (!Number.isFinite(n) || n > limit) return Promise.reject(new PayloadTooLargeError(limit));
  }
  const stream: Readable = req;
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = () => {
      stream.off("data", onData);
      stream.off("end", onEnd);
      stream.off("error", onGone);
      stream.off("close", onGone);
    };
    const onData = (chunk: Buffer | string) => {
      const buf = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
      size += buf.length;
      if (size > limit) {
        cleanup();
        reject(new PayloadTooLargeError(limit));
        return;
      }
      chunks.push(buf);
    };
    const onEnd = () => {
      cleanup();
      resolve(Buffer.concat(chunks, size));
    };
    const onGone = () => {
      cleanup();
      reject(new ClientGoneError("client closed the request before its body was complete"));
    };
    stream.on("data", onData);
    stream.on("end", onEnd);
    stream.on("error", onGone);
    stream.on("close", onGone);
  });
}

/**
 * Answers 413 to a body that is still arriving: the rest is discarded (never buffered), and the
 * connection (HTTP/1.1) or stream (HTTP/2, RST_STREAM NO_ERROR after the answer) is closed so the client
 * cannot keep us reading.
 */
export function refuseOversize(req: AnyRequest, res: AnyResponse, err: PayloadTooLargeError): void {
  const stream: Readable = req;
  stream.on("error", () => {}); // a reset while discarding is expected
  stream.resume();
  if (isHttp2(req)) {
    sendHttpError(req, res, err);
    const h2stream = req.stream;
    responseStream(res).once("finish", () => {
      if (!req.complete && !h2stream.destroyed) h2stream.close(h2constants.NGHTTP2_NO_ERROR);
    });
  } else {
    sendError(req, res, err.status, err.code, err.message, { connection: "close" });
  }
}

/** Media type check: `application/json`, parameters allowed, but a charset must be UTF-8 (RFC 8259). */
export function isJsonContentType(value: string | undefined): boolean {
  if (value === undefined) return false;
  const [type, ...params] = value.split(";");
  if (type?.trim().toLowerCase() !== "application/json") return false;
  for (const param of params) {
    const eq = param.indexOf("=");
    if (eq < 0) continue;
    const name = param.slice(0, eq).trim().toLowerCase();
    const v = param.slice(eq + 1).trim().replace(/^"(.*)"$/, "$1").toLowerCase();
    if (name === "charset" && v !== "utf-8" && v !== "utf8") return false;
  }
  return true;
}

/** Parses a body that must be a JSON object (strict UTF-8); throws HttpError 400 invalid_request. */
export function parseJsonObject(body: Uint8Array): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(fromUtf8(body));
  } catch {
    throw new HttpError(400, "invalid_request", "body is not well-formed UTF-8 JSON");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new HttpError(400, "invalid_request", "body must be a JSON object");
  }
  return value as Record<string, unknown>;
}

/**
 * The whole "JSON request body" step: content type (415), size (413), well-formed object (400).
 * Throws HttpError / PayloadTooLargeError / ClientGoneError; see `answerFailure`.
 */
export async function readJsonObject(req: AnyRequest, limit: number): Promise<{ raw: Buffer; value: Record<string, unknown> }> {
  if (!isJsonContentType(req.headers["content-type"])) {
    throw new HttpError(415, "unsupported_media_type", "content-type must be application/json");
  }
  const raw = await readBoundedBody(req, limit);
  return { raw, value: parseJsonObject(raw) };
}

/** Turns any failure of a handler into an answer: never a crash, never an unhandled rejection. */
export function answerFailure(req: AnyRequest, res: AnyResponse, err: unknown): void {
  try {
    if (err instanceof ClientGoneError) return;
    if (err instanceof PayloadTooLargeError) return refuseOversize(req, res, err);
    if (err instanceof HttpError) return sendHttpError(req, res, err);
    if (asResponse(res).headersSent) {
      responseStream(res).destroy();
      return;
    }
    sendError(req, res, 500, "internal_error", "unexpected gateway error");
  } catch {
    // The connection is already unusable: drop it rather than throw out of an event handler.
    responseStream(res).destroy();
  }
}
