// Where stubs answer routed commands: before the built-in /api/v1/user/... routes, the message type
// the gateway names (X-Galaxy-Message-Type) is looked up in the stub store. A matching mapping answers
// (its templates rendered, its pushes scheduled, after its delay); a call no mapping matches goes to
// the built-in route if there is one, else answers the business error `stub_not_matched`. Every answer
// of a stubbed type says in headers which mapping answered, or the nearest one and where it differed,
// for the gateway's journal.
import { HttpError } from "../../node/http-json.js";
import type { Interception, Interceptor, JsonReply, RequestContext } from "../router.js";
import type { MockStore } from "../store.js";
import { callerOf, header, type Caller } from "../user-routes.js";
import type { PushSpec, StubMapping } from "./mapping.js";
import { PendingPushesFullError, type PushScheduler, type ScheduledPush } from "./push-scheduler.js";
import type { StoredStubHandle, StubStore } from "./stub-store.js";
import { render, type TemplateVariables } from "./template.js";
import { timeoutAtLeast } from "../../node/timeout-at-least.js";

/** The id of the mapping that answered. */
export const STUB_ID_HEADER = "x-galaxy-stub-id";
/** No mapping matched: the nearest one's id … */
export const STUB_MISS_HEADER = "x-galaxy-stub-miss";
/** … and the first field where it differed (`payload.item`, percent-encoded: keys may be any text). */
export const STUB_DIFFERS_AT_HEADER = "x-galaxy-stub-differs-at";

const USER_PREFIX = "/api/v1/user/";
/** Business errors of a stub (`respond.result_code` other than ok): a 4xx, which the gateway signs as an answer. */
const BUSINESS_ERROR_STATUS = 422;

export interface StubResponderDeps {
  stubs: StubStore;
  store: MockStore;
  pushes: PushScheduler;
  /** Aborted when the backend closes: delayed answers stop waiting. */
  shutdown: AbortSignal;
}

export function stubInterceptor(deps: StubResponderDeps): Interceptor {
  // Synchronous "not mine" for every call of a type without stubs (the cost the built-in routes pay).
  return (ctx, hasRoute) => {
    if (!ctx.url.pathname.startsWith(USER_PREFIX)) return undefined;
    const messageType = header(ctx.req, "x-galaxy-message-type");
    if (!messageType || !deps.stubs.hasType(messageType)) return undefined;
    return intercept(deps, ctx, hasRoute, messageType);
  };
}

async function intercept(deps: StubResponderDeps, ctx: RequestContext, hasRoute: boolean, messageType: string): Promise<Interception> {
  const caller = callerOf(deps.store, ctx.req);
  const method = ctx.req.method;
  // GET and DELETE routes carry the payload as the query string (the gateway's rule): values are strings.
  const payload = method === "GET" || method === "DELETE" ? Object.fromEntries(ctx.url.searchParams) : await ctx.body();
  const facts = { payload, user_id: caller.user.user_id, email: caller.user.email, device_session_id: caller.deviceSessionId ?? "" };
  const selection = deps.stubs.select(messageType, facts);
  switch (selection.kind) {
    case "unstubbed": // its mappings went while the body was read
      return undefined;
    case "missed": {
      const headers = { [STUB_MISS_HEADER]: selection.nearestId, [STUB_DIFFERS_AT_HEADER]: encodeURIComponent(selection.differsAt) };
      if (hasRoute) return { headers };
      throw new HttpError(
        404,
        "stub_not_matched",
        `no stub for ${messageType} matched; the nearest, ${selection.nearestId}, differs at ${selection.differsAt}`,
        headers,
      );
    }
    case "matched": {
      const vars: TemplateVariables = {
        ...facts,
        request_id: header(ctx.req, "x-galaxy-request-id") ?? "",
        now_ms: deps.store.now(),
        counter: selection.stub.counter,
      };
      return { answer: await answer(deps, selection.stub, caller, vars) };
    }
  }
}

async function answer(deps: StubResponderDeps, handle: StoredStubHandle, caller: Caller, vars: TemplateVariables): Promise<JsonReply> {
  const { mapping } = handle;
  const payload = mapping.respond.payload === undefined ? {} : render(mapping.respond.payload, vars);
  const pushVars = { ...vars, response: { payload } };
  const pushes = mapping.push.flatMap((spec) => recipients(deps, spec, caller, pushVars, mapping));
  try {
    deps.pushes.schedule(pushes);
  } catch (err) {
    if (err instanceof PendingPushesFullError) throw new HttpError(503, "stub_pushes_full", err.message);
    throw err;
  }
  deps.stubs.commit(handle);
  if (mapping.respond.delay_ms > 0) await delay(mapping.respond.delay_ms, deps.shutdown);
  const headers = { [STUB_ID_HEADER]: mapping.id };
  if (mapping.respond.result_code === "ok") return { body: payload, headers };
  // A payload's own `error` object keeps its other fields and its message (a recorded business error
  // answers as it was recorded); `code` is always the mapping's result_code.
  const own = (payload as { error?: unknown }).error;
  const ownError = typeof own === "object" && own !== null && !Array.isArray(own) ? (own as { message?: unknown }) : {};
  const message = typeof ownError.message === "string" ? ownError.message : `answered by stub ${mapping.id}`;
  const error = { ...ownError, code: mapping.respond.result_code, message };
  return { status: BUSINESS_ERROR_STATUS, body: { ...(payload as object), error }, headers };
}

/** One push per recipient; its delay counts from the answer, so the answer's own delay is added. */
function recipients(deps: StubResponderDeps, spec: PushSpec, caller: Caller, vars: TemplateVariables, mapping: StubMapping): ScheduledPush[] {
  const base = { eventType: spec.event_type, payload: render(spec.payload, vars), delayMs: mapping.respond.delay_ms + spec.delay_ms };
  const to = spec.to;
  if (to === "caller") return [{ ...base, userId: caller.user.user_id, ...(caller.deviceSessionId ? { deviceSessionId: caller.deviceSessionId } : {}) }];
  if (to === "user") return [{ ...base, userId: caller.user.user_id }];
  // Everyone known now: users who sign up during the delay are not among them.
  if (to === "all") return deps.store.userIds().map((userId) => ({ ...base, userId }));
  const userId = render(to.user_id, vars);
  if (typeof userId !== "string" || userId === "") {
    throw new HttpError(BUSINESS_ERROR_STATUS, "stub_push_target_invalid", `stub ${mapping.id}: push "to.user_id" rendered to ${JSON.stringify(userId)}, not a user id`);
  }
  return [{ ...base, userId }];
}

function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal.aborted) return reject(shuttingDown());
    const onAbort = () => {
      cancel();
      reject(shuttingDown());
    };
    const cancel = timeoutAtLeast(ms, () => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    });
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

function shuttingDown(): HttpError {
  return new HttpError(503, "shutting_down", "the mock backend is shutting down");
}
