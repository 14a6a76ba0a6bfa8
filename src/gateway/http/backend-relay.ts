// Calling the backend on behalf of a REST caller and judging its answer: unreachable → 503, a 5xx or an
// answer that is not JSON → 502, both `backend_unavailable`. Whatever the backend does, the caller gets
// one of our JSON answers, never a crash.
import type { BackendReply, BackendRequestInit, BackendRestClient } from "../backend/rest-client.js";
import { fromUtf8 } from "../../shared/bytes.js";
import { HttpError, type Headers } from "./http-json.js";

/** Any failure to get an answer (refused, reset, timeout, or no usable backend URL) → 503. */
export async function callBackend(
  backend: BackendRestClient,
  method: string,
  path: string,
  init: BackendRequestInit = {},
): Promise<BackendReply> {
  try {
    return await backend.request(method, path, init);
  } catch {
    // BackendUnavailableError, but also e.g. an unusable base URL ("mock" with no mock running).
    throw new HttpError(503, "backend_unavailable", "the backend did not answer");
  }
}

/** A 2xx/4xx JSON answer passes; a 5xx, 1xx/3xx or a body that is not JSON → 502. */
export function requireJsonReply(reply: BackendReply): Buffer {
  if (reply.status >= 500) throw new HttpError(502, "backend_unavailable", `the backend failed (HTTP ${reply.status})`);
  if (reply.status < 200 || (reply.status >= 300 && reply.status < 400) || reply.status > 599) {
    throw new HttpError(502, "backend_unavailable", `unexpected backend answer (HTTP ${reply.status})`);
  }
  try {
    JSON.parse(fromUtf8(reply.body));
  } catch {
    throw new HttpError(502, "backend_unavailable", "the backend's answer is not JSON");
  }
  return reply.body;
}

/** The only backend headers relayed to REST callers: content-type (when JSON) and retry-after. */
export function relayedHeaders(reply: BackendReply): Headers {
  const out: Headers = {};
  const type = reply.headers["content-type"];
  if (typeof type === "string" && /^application\/json\s*(;|$)/i.test(type)) out["content-type"] = type;
  const retry = reply.headers["retry-after"];
  if (typeof retry === "string" && /^[A-Za-z0-9 ,:]{1,64}$/.test(retry)) out["retry-after"] = retry;
  return out;
}
