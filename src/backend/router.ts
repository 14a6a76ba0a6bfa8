// A tiny method + path router for the REST surface. Paths are literal segments or `:name`
// parameters; a path that exists under another method answers 405, an unknown one 404.
import type { IncomingMessage, ServerResponse } from "node:http";
import { answerFailure, ClientGoneError, HttpError, sendJson } from "../node/http-json.js";
import { readJsonBody } from "./http-json.js";

export type Method = "GET" | "POST" | "PATCH" | "PUT" | "DELETE";

export interface RequestContext {
  req: IncomingMessage;
  url: URL;
  params: Record<string, string>;
  /** Reads the JSON body on demand, so GET handlers never touch the socket. */
  body(): Promise<unknown>;
}

export interface JsonReply {
  status?: number;
  body: unknown;
  /** Extra answer headers (e.g. which stub answered, stubs/stub-responder.ts). */
  headers?: Record<string, string>;
}

export type Handler = (ctx: RequestContext) => JsonReply | Promise<JsonReply>;

export interface Route {
  method: Method;
  /** e.g. "/api/v1/internal/sessions/:id" */
  path: string;
  handler: Handler;
  /** Largest body this route reads (default MAX_BODY_BYTES of http-json.ts). */
  maxBodyBytes?: number;
}

interface CompiledRoute extends Route {
  segments: string[];
}

/**
 * Sees a request before its route does: answers it (`answer`), lets its route answer with extra
 * headers (`headers`), or leaves it alone (undefined). `hasRoute`: a route exists for its method and path.
 */
export type Interceptor = (
  ctx: RequestContext,
  hasRoute: boolean,
) => Interception | Promise<Interception> | undefined;

export type Interception = { answer: JsonReply } | { headers: Record<string, string> } | undefined;

export interface RouterOptions {
  /**
   * Persistence (persistence.ts): called after every non-GET request and every one the interceptor
   * answered, whether it succeeded or not
   * (a wrong code still counts an attempt), and awaited before the answer, so what a client was told
   * survives a crash. A failure answers 500.
   */
  persist?: () => Promise<void>;
  intercept?: Interceptor;
}

export function createRouter(
  routes: readonly Route[],
  options: RouterOptions = {},
): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const compiled: CompiledRoute[] = routes.map((r) => ({ ...r, segments: r.path.split("/") }));

  return async (req, res) => {
    const changes = { byInterceptor: false };
    let answer = await route(req, changes);
    const mayChange = (req.method !== "GET" && req.method !== "HEAD") || changes.byInterceptor;
    if (options.persist && mayChange) answer = (await persistOrFail()) ?? answer;
    send(req, res, answer);
  };

  /** The persistence failure that replaces the answer, if persisting failed. */
  async function persistOrFail(): Promise<HttpError | undefined> {
    try {
      await options.persist!();
      return undefined;
    } catch (err) {
      console.error("mock backend: state not persisted", err);
      return new HttpError(500, "internal_error", "the mock backend could not persist its state");
    }
  }

  /** Routes the request to its answer, which is sent once persisted. */
  async function route(req: IncomingMessage, changes: { byInterceptor: boolean }): Promise<Answer> {
    try {
      // Concatenated rather than resolved, so "//host/x" stays a path instead of becoming a host.
      const url = new URL(`http://mock-backend${req.url?.startsWith("/") ? req.url : "/"}`);
      const parts = url.pathname.split("/"); // once per request, not once per route (bench/README.md)
      const candidates = compiled
        .map((route) => ({ route, params: matchPath(route.segments, parts) }))
        .filter((c): c is { route: CompiledRoute; params: Record<string, string> } => c.params !== undefined);
      const hit = candidates.find((c) => c.route.method === req.method);
      // Read at most once: an interceptor and then the route may both want the body.
      let body: Promise<unknown> | undefined;
      const ctx: RequestContext = { req, url, params: hit?.params ?? {}, body: () => (body ??= readJsonBody(req, hit?.route.maxBodyBytes)) };
      // Most requests are none of the interceptor's business: it says so synchronously, without an await.
      const pending = options.intercept?.(ctx, hit !== undefined);
      const intercepted = pending instanceof Promise ? await pending : pending;
      if (intercepted && "answer" in intercepted) {
        changes.byInterceptor = true; // e.g. a stub's match count and scenario, whatever the method
        return intercepted.answer;
      }
      if (candidates.length === 0) throw new HttpError(404, "not_found", `no route for ${url.pathname}`);
      if (!hit) {
        const allow = [...new Set(candidates.map((c) => c.route.method))].join(", ");
        throw new HttpError(405, "method_not_allowed", `${req.method} is not allowed here`, { allow });
      }
      if (!intercepted) return await hit.route.handler(ctx);
      try {
        const reply = await hit.route.handler(ctx);
        return { ...reply, headers: { ...reply.headers, ...intercepted.headers } };
      } catch (err) {
        if (!(err instanceof HttpError) || err.constructor !== HttpError) throw err;
        throw new HttpError(err.status, err.code, err.message, { ...err.headers, ...intercepted.headers });
      }
    } catch (err) {
      if (err instanceof HttpError || err instanceof ClientGoneError) return err;
      console.error("mock backend: unexpected error", err);
      return new HttpError(500, "internal_error", "unexpected mock backend error");
    }
  }
}

/** A handler's reply, a refusal, or a client that left before its body was read (nothing to answer). */
type Answer = JsonReply | HttpError | ClientGoneError;

function send(req: IncomingMessage, res: ServerResponse, answer: Answer): void {
  if (answer instanceof HttpError || answer instanceof ClientGoneError) {
    // Discard an unread body so the error reply is not reset away under the client.
    if (!req.complete) req.resume();
    answerFailure(req, res, answer, "unexpected mock backend error");
  } else {
    sendJson(req, res, answer.status ?? 200, answer.body, answer.headers);
  }
}

function matchPath(segments: readonly string[], parts: readonly string[]): Record<string, string> | undefined {
  if (parts.length !== segments.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < segments.length; i++) {
    const pattern = segments[i]!;
    const part = parts[i]!;
    if (pattern.startsWith(":")) {
      if (part === "") return undefined;
      try {
        params[pattern.slice(1)] = decodeURIComponent(part);
      } catch {
        return undefined;
      }
    } else if (pattern !== part) {
      return undefined;
    }
  }
  return params;
}
