// Same-origin JSON over fetch, shared by the public REST and the emulator control plane.
// The console is served by the gateway itself, so every path is relative to location.origin.

/** Error of a JSON HTTP call: the HTTP status and the `{"error":{"code","message"}}` body, when present. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** Retry-After, in seconds, when the server sent one. */
    readonly retryAfterS?: number,
  ) {
    super(message);
    this.name = "HttpError";
  }
}

let accessToken: string | undefined;

/** An emulator started with an access token: open the console as `…/#token=<token>`. */
export function initAccessToken(): void {
  const match = /(?:^#|&)token=([^&]+)/.exec(location.hash);
  if (match?.[1]) {
    accessToken = decodeURIComponent(match[1]);
    history.replaceState(null, "", location.pathname + location.search);
  }
}

export function origin(): string {
  return location.origin;
}

export async function requestJson<T>(
  method: string,
  path: string,
  body?: unknown,
  init: { signal?: AbortSignal; auth?: boolean } = {},
): Promise<T> {
  const headers: Record<string, string> = { accept: "application/json" };
  if (body !== undefined) headers["content-type"] = "application/json";
  if (init.auth && accessToken) headers.authorization = `Bearer ${accessToken}`;
  let res: Response;
  try {
    res = await fetch(new URL(path, origin()), {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: init.signal,
      cache: "no-store",
    });
  } catch (e) {
    if (init.signal?.aborted) throw e;
    throw new HttpError(0, "network_error", `network error: ${(e as Error).message}`);
  }
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  if (!res.ok) {
    const err = (json as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
    const retry = res.headers.get("retry-after");
    throw new HttpError(
      res.status,
      typeof err?.code === "string" ? err.code : `http_${res.status}`,
      typeof err?.message === "string" ? err.message : text.slice(0, 300) || res.statusText,
      retry !== null && retry !== "" ? Number(retry) : undefined,
    );
  }
  return json as T;
}

/** "invalid_code (401): wrong code" — one line for the UI. */
export function describeError(e: unknown): string {
  if (e instanceof HttpError) {
    const retry = e.retryAfterS !== undefined ? `, retry after ${e.retryAfterS} s` : "";
    return `${e.code}${e.status ? ` (${e.status})` : ""}: ${e.message}${retry}`;
  }
  return e instanceof Error ? e.message : String(e);
}
