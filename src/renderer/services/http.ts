// Same-origin JSON over fetch for the emulator control plane (the public REST goes through the client SDK,
// src/sdk/rest.ts). The console is served by the gateway itself, so every path is relative to the page's origin.
import { GatewayHttpError } from "../../sdk/errors.js";
import { jsonErrorOf, parseJsonText } from "../../shared/json-error.js";

export interface SettingIssue {
  setting: string;
  message: string;
}

function settingIssues(value: unknown): SettingIssue[] {
  if (!Array.isArray(value)) return [];
  return value.filter((i): i is SettingIssue => typeof i?.setting === "string" && typeof i?.message === "string");
}

/** Error of a JSON HTTP call: the HTTP status and the `{"error":{"code","message"}}` body, when present. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** Retry-After, in seconds, when the server sent one. */
    readonly retryAfterS?: number,
    /** The refused settings of a config PATCH, each named as GET spells it (`rate_limits.per_ip.burst`). */
    readonly issues: readonly SettingIssue[] = [],
  ) {
    super(message);
    this.name = "HttpError";
  }
}

export interface RequestOptions {
  signal?: AbortSignal;
  /** Sends the control plane's access token (when the console was opened with one). */
  auth?: boolean;
}

export interface JsonHttp {
  requestJson<T>(method: string, path: string, body?: unknown, options?: RequestOptions): Promise<T>;
}

/**
 * An emulator started with an access token: the console is opened as `…/#token=<token>`. Returns the
 * token and removes it from the address bar (so it is not bookmarked or shared with the URL).
 */
export function takeAccessTokenFromUrl(location: Location, history: History): string | undefined {
  const match = /(?:^#|&)token=([^&]+)/.exec(location.hash);
  if (!match?.[1]) return undefined;
  const token = decodeURIComponent(match[1]);
  history.replaceState(null, "", location.pathname + location.search);
  return token;
}

export function createJsonHttp(origin: string, accessToken?: string): JsonHttp {
  return {
    async requestJson<T>(method: string, path: string, body?: unknown, options: RequestOptions = {}): Promise<T> {
      const headers: Record<string, string> = { accept: "application/json" };
      if (body !== undefined) headers["content-type"] = "application/json";
      if (options.auth && accessToken) headers.authorization = `Bearer ${accessToken}`;
      let res: Response;
      try {
        res = await fetch(new URL(path, origin), {
          method,
          headers,
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: options.signal,
          cache: "no-store",
        });
      } catch (e) {
        if (options.signal?.aborted) throw e;
        throw new HttpError(0, "network_error", `network error: ${(e as Error).message}`);
      }
      const text = await res.text();
      const json = parseJsonText(text);
      if (!res.ok) {
        const err = jsonErrorOf(res.status, json, text, res.statusText);
        const retry = res.headers.get("retry-after");
        throw new HttpError(res.status, err.code, err.message, retry !== null && retry !== "" ? Number(retry) : undefined, settingIssues(err.issues));
      }
      return json as T;
    },
  };
}

/**
 * One line for the UI: "invalid_code (401): POST /api/v1/public/auth/confirm-email-code: wrong code"
 * (the SDK's public REST names the call), "forbidden (403): …" (the control plane's HttpError).
 */
export function describeError(e: unknown): string {
  if (e instanceof HttpError || e instanceof GatewayHttpError) {
    const retryAfterS = e instanceof HttpError ? e.retryAfterS : e.retryAfterMs !== undefined ? e.retryAfterMs / 1000 : undefined;
    const retry = retryAfterS !== undefined ? `, retry after ${retryAfterS} s` : "";
    return `${e.code}${e.status ? ` (${e.status})` : ""}: ${e.message}${retry}`;
  }
  return e instanceof Error ? e.message : String(e);
}
