// JSON plumbing of the plain-HTTP surface: the shared helpers of src/node/http-json.ts (also the mock
// backend's), with the error codes narrowed to the ones this surface documents, plus what only this
// surface needs (the 405 wording, the 500 message, the response's writable side for streaming).
import type { Writable } from "node:stream";
import {
  answerFailure as answerAnyFailure,
  HttpError as SharedHttpError,
  sendError as sendAnyError,
  type AnyRequest,
  type AnyResponse,
  type Headers,
} from "../../node/http-json.js";
import type { PublicErrorCode } from "../../shared/protocol.js";

export {
  ClientGoneError,
  isHttp2,
  isJsonContentType,
  parseJson,
  parseJsonObject,
  PayloadTooLargeError,
  readBoundedBody,
  readJsonObject,
  refuseOversize,
  requireJsonContentType,
  send,
  sendJson,
  sendJsonBytes,
  sendNoContent,
  setHeaders,
  type AnyRequest,
  type AnyResponse,
  type Headers,
} from "../../node/http-json.js";

/**
 * Error codes this surface answers with: the public ones of protocol.ts, plus `internal_error` for the
 * catch-all that turns an unexpected exception into an answer instead of a crash (never on purpose).
 */
export type RestErrorCode = PublicErrorCode | "internal_error";

/** The shared HttpError (one class), its codes limited to RestErrorCode at compile time. */
export const HttpError: new (status: number, code: RestErrorCode, message: string, headers?: Headers) => SharedHttpError<RestErrorCode> =
  SharedHttpError;
export type HttpError = SharedHttpError<RestErrorCode>;

/** The shared sendError, its codes limited to RestErrorCode at compile time. */
export const sendError: (req: AnyRequest, res: AnyResponse, status: number, code: RestErrorCode, message: string, headers?: Headers) => void =
  sendAnyError;

/** The response's writable side, for `close`/`finish` listeners on either flavour. */
export function responseStream(res: AnyResponse): Writable {
  return res;
}

export function sendMethodNotAllowed(req: AnyRequest, res: AnyResponse, allow: readonly string[]): void {
  sendError(req, res, 405, "method_not_allowed", `${req.method ?? "?"} is not allowed here; use ${allow.join(" or ")}`, {
    allow: allow.join(", "),
  });
}

/** Turns any failure of a handler into an answer (src/node/http-json.ts); a bug answers 500 internal_error. */
export function answerFailure(req: AnyRequest, res: AnyResponse, err: unknown): void {
  answerAnyFailure(req, res, err, "unexpected gateway error");
}
