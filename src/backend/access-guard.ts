// Who may talk to the mock backend: its gateway only. Checked on every request (REST and the push
// stream) before anything is routed, in this order:
// - 403 forbidden: the request carries an Origin or Sec-Fetch-Site header (a browser sent it: a web
//   page; the gateway never sends either), or its Host does not name loopback (a DNS-rebinding page
//   addresses the port under its own host name). The Host rule holds while the mock listens on
//   loopback; bound to another address on purpose, its callers use that address's names.
// - 401 unauthorized: the backend token (X-Galaxy-Backend-Token) is missing or wrong.
import type { IncomingMessage, ServerResponse } from "node:http";
import { BACKEND_TOKEN_HEADER } from "../node/backend-token.js";
import { secretMatcher } from "../node/secret-token.js";
import { isLoopbackAddress, isLoopbackHost } from "../node/loopback.js";
import { HttpError, sendHttpError } from "../node/http-json.js";

export interface AccessGuardOptions {
  token: string;
  /** The address the mock listens on: the Host rule applies when it is loopback. */
  listenHost: string;
}

/**
 * Refusals close the connection: whoever is refused has no business keeping a connection open (and
 * an unread body would otherwise be read to its end first).
 */
const CLOSE = { connection: "close" };

/** The refusal for `req`, or undefined when the gateway sent it. */
export function createAccessGuard(options: AccessGuardOptions): (req: IncomingMessage) => HttpError | undefined {
  const checkHost = isLoopbackAddress(options.listenHost) || options.listenHost.toLowerCase() === "localhost";
  const tokenMatches = secretMatcher(options.token);
  return (req) => {
    if (req.headers.origin !== undefined || req.headers["sec-fetch-site"] !== undefined) {
      return new HttpError(403, "forbidden", "the mock backend does not answer web pages (the request carries Origin or Sec-Fetch-Site)", CLOSE);
    }
    if (checkHost && !isLoopbackHost(req.headers.host)) {
      return new HttpError(403, "forbidden", "the mock backend answers requests addressed to a loopback host only", CLOSE);
    }
    if (!tokenMatches(req.headers[BACKEND_TOKEN_HEADER])) {
      return new HttpError(401, "unauthorized", `missing or wrong ${BACKEND_TOKEN_HEADER} header: the mock backend answers its gateway only`, CLOSE);
    }
    return undefined;
  };
}

/** Answers a refusal, discarding any request body so the answer is not reset away under the client. */
export function refuse(req: IncomingMessage, res: ServerResponse, error: HttpError): void {
  req.resume();
  sendHttpError(req, res, error);
}
