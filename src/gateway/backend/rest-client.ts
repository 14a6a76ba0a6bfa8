// The gateway's HTTP client for the backend's REST API (§4 routed calls, §3 forwarded auth, §6
// session lookups, and the mock's /emulator/v1 endpoints). Keep-alive pooled, bounded in time and
// in response size, and pointed at whatever the live config says the backend is.
//
// Built on undici's Pool through its dispatch-handler API (public: Dispatcher.dispatch): the answer
// arrives as callbacks, with no IncomingMessage, stream or promise per call. Measured with
// bench/backend-hop.ts (CPU of the calling process per call, 64 concurrent, interleaved runs):
// ~50 µs per call against ~115 µs for node:http with a keep-alive Agent, and ~68 µs for undici's
// stream-based `request()` (bench/README.md, finding 8).
import type http from "node:http";
import { Pool, type Dispatcher } from "undici";
import { BACKEND_TOKEN_HEADER } from "../../node/backend-token.js";

export interface BackendReply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export interface BackendRequestInit {
  /** Already-encoded query string without "?". */
  query?: string;
  body?: Uint8Array;
  headers?: Record<string, string>;
  /**
   * Time the caller has left (an RPC's grpc-timeout / connect-timeout-ms): the request is bounded by
   * the shorter of this and the client's own timeout, and when this one runs out first the request
   * fails with CallerDeadlineError rather than BackendUnavailableError.
   */
  deadlineMs?: number;
  signal?: AbortSignal;
}

/** Refused, reset, timed out or too large: the caller maps it to UNAVAILABLE / 502-503 `backend_unavailable`. */
export class BackendUnavailableError extends Error {
  constructor(
    message: string,
    override readonly cause?: unknown,
  ) {
    super(message);
  }
}

/** The caller's deadline ran out before the backend answered: the client's limit, not a backend fault. */
export class CallerDeadlineError extends Error {}

export interface BackendRestClient {
  /** The base URL calls currently go to (changes when the live config's backend changes). */
  baseUrl(): string;
  request(method: string, path: string, init?: BackendRequestInit): Promise<BackendReply>;
}

export const DEFAULT_BACKEND_TIMEOUT_MS = 5_000;
export const MAX_BACKEND_RESPONSE_BYTES = 1024 * 1024;
/** Connections per backend origin; more calls wait for one, within their deadline (docs/SECURITY.md). */
export const MAX_BACKEND_CONNECTIONS = 256;

export interface BackendClientOptions {
  /** Default deadline of a call, from the moment it is made (waiting for a pooled connection included). */
  timeoutMs?: number;
  /** The backend token for the current backend, sent on every call (src/node/backend-token.ts). */
  token?: () => string | undefined;
}

export function createBackendRestClient(
  resolveBaseUrl: () => string,
  options: BackendClientOptions = {},
): BackendRestClient & { close(): void } {
  const defaultTimeoutMs = options.timeoutMs ?? DEFAULT_BACKEND_TIMEOUT_MS;
  // One pool, for the backend the live config names now; switching backends lets the old pool finish
  // its calls and close, so the connections held stay bounded by one pool's.
  let current: { origin: string; pool: Pool } | undefined;
  const poolFor = (origin: string): Pool => {
    if (current?.origin === origin) return current.pool;
    current?.pool.close().catch(() => {});
    // Pipelining 1: a slow answer never holds up the calls behind it on the same connection. undici's
    // own header/body timeouts are off: the absolute deadline below bounds the whole call.
    const pool = new Pool(origin, { connections: MAX_BACKEND_CONNECTIONS, pipelining: 1, headersTimeout: 0, bodyTimeout: 0 });
    current = { origin, pool };
    return pool;
  };

  function request(method: string, path: string, init: BackendRequestInit = {}): Promise<BackendReply> {
    let url: URL;
    try {
      url = new URL(resolveBaseUrl() + path + (init.query ? `?${init.query}` : ""));
    } catch (err) {
      return Promise.reject(new BackendUnavailableError(`no usable backend URL: ${(err as Error).message}`, err));
    }
    const callerFirst = init.deadlineMs !== undefined && init.deadlineMs < defaultTimeoutMs;
    const timeoutMs = callerFirst ? init.deadlineMs! : defaultTimeoutMs;
    if (timeoutMs <= 0) return Promise.reject(new CallerDeadlineError("no time left for the backend call"));
    const headers: Record<string, string> = { ...init.headers };
    const token = options.token?.();
    if (token) headers[BACKEND_TOKEN_HEADER] = token;
    if (init.body) headers["content-type"] ??= "application/json"; // undici sets content-length itself
    // Credentials in the backend URL become Basic auth, as node:http did with them.
    if (url.username || url.password) {
      headers.authorization ??= `Basic ${Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString("base64")}`;
    }
    const signal = init.signal;

    return new Promise<BackendReply>((resolve, reject) => {
      let settled = false;
      /** undici's abort for this request, once it has a connection; until then `stopped` is checked. */
      let abort: ((err: Error) => void) | undefined;
      let stopped: Error | undefined;
      const finish = () => {
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
      };
      const fail = (err: unknown) => {
        if (settled) return;
        finish();
        reject(err instanceof CallerDeadlineError ? err : asUnavailable(err));
      };
      /** Ends the call now (deadline, caller gone, answer too large), and the request with it. */
      const stop = (err: Error) => {
        stopped ??= err;
        abort?.(err);
        fail(err);
      };
      const onAbort = () => stop(asUnavailable(signal?.reason ?? new Error("aborted")));
      // An absolute deadline, from now: the wait for a pooled connection, the answer's headers and
      // every byte of its body all count, so a backend that hangs or trickles cannot hold a call longer.
      const timer = setTimeout(
        () =>
          stop(
            callerFirst
              ? new CallerDeadlineError(`the call's deadline ran out after ${timeoutMs} ms waiting for the backend`)
              : new BackendUnavailableError(`backend did not answer within ${timeoutMs} ms`),
          ),
        timeoutMs,
      );
      if (signal?.aborted) return onAbort();
      signal?.addEventListener("abort", onAbort, { once: true });

      let status = 0;
      let rawHeaders: Buffer[] = [];
      const chunks: Buffer[] = [];
      let size = 0;
      const handler: Dispatcher.DispatchHandlers = {
        onConnect(abortRequest) {
          // Stopped while it waited for a connection: abort it as it starts (undici's own idiom, api-request).
          if (stopped) return abortRequest(stopped);
          abort = abortRequest;
        },
        onHeaders(statusCode, headerList) {
          // Called again after a 1xx: the final answer's status and headers are the ones kept.
          status = statusCode;
          rawHeaders = headerList;
          return true;
        },
        onData(chunk) {
          size += chunk.length;
          if (size > MAX_BACKEND_RESPONSE_BYTES) {
            stop(new BackendUnavailableError(`backend response larger than ${MAX_BACKEND_RESPONSE_BYTES} bytes`));
            return false;
          }
          chunks.push(chunk);
          return true;
        },
        onComplete() {
          if (settled) return;
          finish();
          resolve({ status, headers: toHeaderObject(rawHeaders), body: Buffer.concat(chunks, size) });
        },
        // Refused, reset, cut mid-answer, unparsable HTTP, or the abort above.
        onError: fail,
      };
      try {
        poolFor(url.origin).dispatch(
          { path: url.pathname + url.search, method: method as Dispatcher.HttpMethod, headers, body: init.body ?? null },
          handler,
        );
      } catch (err) {
        stop(asUnavailable(err));
      }
    });
  }

  return {
    baseUrl: resolveBaseUrl,
    request,
    close() {
      current?.pool.destroy().catch(() => {});
      current = undefined;
    },
  };
}

/** Answer headers a single value is kept for, the first one (as node:http's IncomingMessage.headers). */
const SINGLE_VALUED = new Set([
  "age", "authorization", "content-length", "content-type", "etag", "expires", "from", "host", "if-modified-since",
  "if-unmodified-since", "last-modified", "location", "max-forwards", "proxy-authorization", "referer", "retry-after",
  "server", "user-agent",
]);

/** undici's raw [name, value, …] list as node:http presents it: lower-case names, repeats joined with ", ", set-cookie a list. */
function toHeaderObject(raw: Buffer[]): http.IncomingHttpHeaders {
  const headers: Record<string, string | string[]> = {};
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!.toString("latin1").toLowerCase();
    const value = raw[i + 1]!.toString("latin1");
    const seen = headers[name];
    if (seen === undefined) headers[name] = name === "set-cookie" ? [value] : value;
    else if (Array.isArray(seen)) seen.push(value);
    else if (!SINGLE_VALUED.has(name)) headers[name] = `${seen}, ${value}`;
  }
  return headers;
}

function asUnavailable(err: unknown): BackendUnavailableError {
  if (err instanceof BackendUnavailableError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new BackendUnavailableError(`backend unreachable: ${message}`, err);
}
