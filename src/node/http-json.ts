// JSON over HTTP for the two rooms that answer REST, the gateway's plain-HTTP surface and the mock
// backend, on HTTP/1.1 and HTTP/2 (compat API) alike: complete answers, HttpError and its
// `{"error":{"code","message"}}` body, the JSON content-type rule, and a bounded body reader that
// refuses oversize bodies before buffering them whole. Each room keeps its own limits, codes and
// routing; what differs between them is passed in, never decided here.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Http2ServerRequest, Http2ServerResponse } from "node:http2";
import { constants as h2constants } from "node:http2";
import type { Readable } from "node:stream";
import { fromUtf8 } from "../shared/bytes.js";

export type AnyRequest = IncomingMessage | Http2ServerRequest;
export type AnyResponse = ServerResponse | Http2ServerResponse;
export type Headers = Record<string, string | number | readonly string[]>;

/** The slice of both response flavours (HTTP/1.1 and HTTP/2 compat) used here. */
interface ResponseLike {
  statusCode: number;
  readonly headersSent: boolean;
  readonly writableEnded: boolean;
  setHeader(name: string, value: string | number | readonly string[]): unknown;
  end(data?: Uint8Array | string): unknown;
  once(event: "finish", listener: () => void): unknown;
  destroy(): unknown;
}

function asResponse(res: AnyResponse): ResponseLike {
  return res as unknown as ResponseLike;
}

export function isHttp2(req: AnyRequest): req is Http2ServerRequest {
  return req.httpVersionMajor === 2;
}

/** A failure that maps to one error answer: status, JSON error code, message, extra headers. */
export class HttpError<Code extends string = string> extends Error {
  constructor(
    readonly status: number,
    readonly code: Code,
    message: string,
    /** Extra response headers, e.g. `Allow` for 405, `Retry-After` for 429. */
    readonly headers: Headers = {},
  ) {
    super(message);
  }
}

/** The request's body was larger than allowed (declared or counted). Answer with `refuseOversize`. */
export class PayloadTooLargeError extends HttpError<"payload_too_large"> {
  constructor(limit: number) {
    super(413, "payload_too_large", `body larger than ${limit} bytes`);
  }
}

/** The client went away before the body was complete: nobody is left to answer. */
export class ClientGoneError extends Error {}

/** Writes a complete answer (no body for HEAD). Ignores the call if the answer already started. */
export function send(req: AnyRequest, res: AnyResponse, status: number, body: Uint8Array | string, headers: Headers = {}): void {
  const r = asResponse(res);
  if (r.headersSent || r.writableEnded) return;
  const bytes = typeof body === "string" ? Buffer.from(body, "utf8") : body;
  r.statusCode = status;
  for (const [name, value] of Object.entries(headers)) r.setHeader(name, value);
  r.setHeader("content-length", bytes.length);
  r.end(req.method === "HEAD" ? undefined : bytes);
}

/** Sets headers on an answer that is written later (e.g. by an RPC handler). */
export function setHeaders(res: AnyResponse, headers: Headers): void {
  const r = asResponse(res);
  if (r.headersSent) return;
  for (const [name, value] of Object.entries(headers)) r.setHeader(name, value);
}

/** A 204: headers only, without the Content-Length that RFC 9110 forbids on it. */
export function sendNoContent(res: AnyResponse, headers: Headers): void {
  const r = asResponse(res);
  if (r.headersSent || r.writableEnded) return;
  r.statusCode = 204;
  setHeaders(res, headers);
  r.end();
}

/**
 * No charset parameter: RFC 8259 defines none for application/json (it is always UTF-8). No-store:
 * answers hold sessions, codes and state. Nosniff: a browser never reads one as anything else.
 */
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

export function sendError(req: AnyRequest, res: AnyResponse, status: number, code: string, message: string, headers: Headers = {}): void {
  sendJson(req, res, status, { error: { code, message } }, headers);
}

export function sendHttpError(req: AnyRequest, res: AnyResponse, err: HttpError): void {
  sendError(req, res, err.status, err.code, err.message, err.headers);
}

/**
 * The JSON media type rule of both rooms: `application/json` (any case), parameters allowed, but a
 * charset must be UTF-8, the only encoding JSON has (RFC 8259) and the only one bodies are decoded as.
 * Not `+json` types (merge-patch, problem …): their semantics are not plain JSON, and nothing here
 * implements them.
 */
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
    asResponse(res).once("finish", () => {
      if (!req.complete && !h2stream.destroyed) h2stream.close(h2constants.NGHTTP2_NO_ERROR);
    });
  } else {
    sendError(req, res, err.status, err.code, err.message, { ...err.headers, connection: "close" });
  }
}

/** Parses a body that must be JSON (strict UTF-8); throws HttpError 400 invalid_request. */
export function parseJson(body: Uint8Array): unknown {
  try {
    return JSON.parse(fromUtf8(body));
  } catch {
    throw new HttpError(400, "invalid_request", "body is not well-formed UTF-8 JSON");
  }
}

/** Parses a body that must be a JSON object (strict UTF-8); throws HttpError 400 invalid_request. */
export function parseJsonObject(body: Uint8Array): Record<string, unknown> {
  const value = parseJson(body);
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new HttpError(400, "invalid_request", "body must be a JSON object");
  }
  return value as Record<string, unknown>;
}

/** 415 for a request whose content type is not JSON (isJsonContentType). */
export function requireJsonContentType(req: AnyRequest): void {
  if (!isJsonContentType(req.headers["content-type"])) {
    throw new HttpError(415, "unsupported_media_type", "content-type must be application/json");
  }
}

/**
 * The whole "JSON object body" step: content type (415), size (413), well-formed object (400).
 * Throws HttpError / PayloadTooLargeError / ClientGoneError; see `answerFailure`.
 */
export async function readJsonObject(req: AnyRequest, limit: number): Promise<{ raw: Buffer; value: Record<string, unknown> }> {
  requireJsonContentType(req);
  const raw = await readBoundedBody(req, limit);
  return { raw, value: parseJsonObject(raw) };
}

/**
 * Turns any failure of a handler into an answer: never a crash, never an unhandled rejection.
 * `internalMessage` is the message of the 500 for anything that is not an HttpError (a bug).
 */
export function answerFailure(req: AnyRequest, res: AnyResponse, err: unknown, internalMessage: string): void {
  try {
    if (err instanceof ClientGoneError) return;
    if (err instanceof PayloadTooLargeError) return refuseOversize(req, res, err);
    if (err instanceof HttpError) return sendHttpError(req, res, err);
    if (asResponse(res).headersSent) {
      asResponse(res).destroy();
      return;
    }
    sendError(req, res, 500, "internal_error", internalMessage);
  } catch {
    // The connection is already unusable: drop it rather than throw out of an event handler.
    asResponse(res).destroy();
  }
}
