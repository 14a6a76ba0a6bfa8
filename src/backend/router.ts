// A tiny method + path router for the REST surface. Paths are literal segments or `:name`
// parameters; a path that exists under another method answers 405, an unknown one 404.
import type { IncomingMessage, ServerResponse } from "node:http";
import { HttpError, readJsonBody, sendError, sendJson } from "./http-json.js";

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
}

export type Handler = (ctx: RequestContext) => JsonReply | Promise<JsonReply>;

export interface Route {
  method: Method;
  /** e.g. "/api/v1/internal/sessions/:id" */
  path: string;
  handler: Handler;
}

interface CompiledRoute extends Route {
  segments: string[];
}

export function createRouter(routes: readonly Route[]): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const compiled: CompiledRoute[] = routes.map((r) => ({ ...r, segments: r.path.split("/") }));

  return async (req, res) => {
    try {
      // Concatenated rather than resolved, so "//host/x" stays a path instead of becoming a host.
      const url = new URL(`http://mock-backend${req.url?.startsWith("/") ? req.url : "/"}`);
      const candidates = compiled
        .map((route) => ({ route, params: matchPath(route.segments, url.pathname) }))
        .filter((c): c is { route: CompiledRoute; params: Record<string, string> } => c.params !== undefined);
      if (candidates.length === 0) throw new HttpError(404, "not_found", `no route for ${url.pathname}`);
      const hit = candidates.find((c) => c.route.method === req.method);
      if (!hit) {
        const allow = [...new Set(candidates.map((c) => c.route.method))].join(", ");
        throw new HttpError(405, "method_not_allowed", `${req.method} is not allowed here`, { allow });
      }
      const reply = await hit.route.handler({ req, url, params: hit.params, body: () => readJsonBody(req) });
      sendJson(res, reply.status ?? 200, reply.body);
    } catch (err) {
      // Discard an unread body so the error reply is not reset away under the client.
      if (!req.complete) req.resume();
      if (err instanceof HttpError) {
        sendError(res, err);
      } else {
        console.error("mock backend: unexpected error", err);
        sendError(res, new HttpError(500, "internal_error", "unexpected mock backend error"));
      }
    }
  };
}

function matchPath(segments: readonly string[], pathname: string): Record<string, string> | undefined {
  const parts = pathname.split("/");
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
