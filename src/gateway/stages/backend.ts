// Stage 9, backend: the routed REST call. 2xx and 4xx-with-JSON answers become signed responses
// (business errors are answers, §4); 5xx, refusal, timeout or garbage become UNAVAILABLE. The call
// gets what is left of the client's deadline; when that runs out first, it is DEADLINE_EXCEEDED. A
// client that goes away meanwhile is not the backend's fault either (abortRejection).
import { Code } from "@connectrpc/connect";
import { fromUtf8, utf8 } from "../../shared/bytes.js";
import type { JournalStub } from "../../shared/protocol.js";
import { BackendUnavailableError, CallerDeadlineError, replyHeader, type BackendReply, type BackendRestClient } from "../backend/rest-client.js";
import { abortRejection, deadlineRejection, GatewayRejection, markInjected, requireEnvelope, requireSession, type GatewayCall, type Stage } from "./stage.js";
import { errorCodeOf } from "../../shared/json-error.js";

/** Longest stub id / field path the journal keeps of a backend's headers (the journal is bounded per entry). */
const MAX_STUB_FIELD_CHARS = 256;

/** The body of a routed non-GET call whose payload is empty. */
const EMPTY_OBJECT = utf8("{}");

function unavailable(message: string): GatewayRejection {
  return new GatewayRejection(Code.Unavailable, "backend_unavailable", "backend", message);
}

export function backendStage(backend: BackendRestClient): Stage {
  return {
    name: "backend",
    async run(call: GatewayCall) {
      const env = requireEnvelope(call);
      const session = requireSession(call);
      const route = call.route;
      if (!route) throw new Error("stage order: routing stage must run first");
      const isGet = route.method === "GET" || route.method === "DELETE";
      try {
        call.backendReply = await backend.request(route.method, `/api/v1/user/${route.path}`, {
          query: isGet ? queryString(call.payloadBytes) : undefined,
          body: isGet ? undefined : call.payloadBytes.length > 0 ? call.payloadBytes : EMPTY_OBJECT,
          headers: {
            "x-galaxy-user-id": session.user_id,
            "x-galaxy-device-session-id": env.deviceSessionId,
            "x-galaxy-request-id": env.requestId,
            "x-galaxy-message-type": env.messageType,
          },
          signal: call.signal,
          deadlineMs: call.timeoutMs(),
          forCall: {
            messageType: env.messageType,
            userId: session.user_id,
            deviceSessionId: env.deviceSessionId,
            injected: (id) => markInjected(call, id),
          },
        });
      } catch (err) {
        if (err instanceof CallerDeadlineError) throw deadlineRejection("backend");
        // The aborted signal cut the request: that surfaces as a BackendUnavailableError, but it is not one.
        if (call.signal.aborted) throw abortRejection(call, "backend");
        if (err instanceof BackendUnavailableError) throw unavailable(err.message);
        throw err;
      }
      const { status, body } = call.backendReply;
      call.stub = stubOf(call.backendReply);
      if (status >= 200 && status < 300) {
        if (body.length > 0 && parseJson(body) === undefined) throw unavailable(`backend answered ${status} with a non-JSON body`);
        call.resultCode = "ok";
        return;
      }
      if (status >= 400 && status < 500) {
        const code = businessErrorCode(body);
        if (!code) throw unavailable(`backend answered ${status} without a JSON error`);
        call.resultCode = code;
        return;
      }
      throw unavailable(`backend answered ${status}`);
    },
  };
}

/** The mock's stub headers (src/backend/stubs/stub-responder.ts), bounded as the journal keeps them. */
function stubOf(reply: BackendReply): JournalStub | undefined {
  const id = replyHeader(reply, "x-galaxy-stub-id");
  if (id) return { matched: true, id: id.slice(0, MAX_STUB_FIELD_CHARS) };
  const nearest = replyHeader(reply, "x-galaxy-stub-miss");
  if (!nearest) return undefined;
  let differsAt = replyHeader(reply, "x-galaxy-stub-differs-at") ?? "";
  try {
    differsAt = decodeURIComponent(differsAt);
  } catch {
    differsAt = "";
  }
  return { matched: false, nearest_id: nearest.slice(0, MAX_STUB_FIELD_CHARS), differs_at: differsAt.slice(0, MAX_STUB_FIELD_CHARS) };
}

/** A business error's code, as a signed answer can carry it (at most 128 characters). */
function businessErrorCode(body: Uint8Array): string | undefined {
  const code = errorCodeOf(parseJson(body));
  return code !== undefined && code.length > 0 && code.length <= 128 ? code : undefined;
}

function parseJson(body: Uint8Array): unknown {
  try {
    return JSON.parse(fromUtf8(body));
  } catch {
    return undefined;
  }
}

/** GET payloads travel as a query string: strings as they are, other JSON values serialised. */
function queryString(payload: Uint8Array): string {
  if (payload.length === 0) return "";
  const object = parseJson(payload) as Record<string, unknown>;
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(object)) {
    if (value === undefined) continue;
    params.append(key, typeof value === "string" ? value : JSON.stringify(value));
  }
  return params.toString();
}
