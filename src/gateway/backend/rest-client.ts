// The gateway's HTTP client for the backend's REST API (§4 routed calls, §3 forwarded auth, §6
// session lookups, and the mock's /emulator/v1 endpoints). Keep-alive pooled, bounded in time and
// in response size, and pointed at whatever the live config says the backend is.
import http from "node:http";
import https from "node:https";
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

export interface BackendClientOptions {
  /** Default deadline of a call, from the moment it is made (waiting for a pooled socket included). */
  timeoutMs?: number;
  /** The backend token for the current backend, sent on every call (src/node/backend-token.ts). */
  token?: () => string | undefined;
}

export function createBackendRestClient(
  resolveBaseUrl: () => string,
  options: BackendClientOptions = {},
): BackendRestClient & { close(): void } {
  const agents = {
    "http:": new http.Agent({ keepAlive: true, maxSockets: 256, maxFreeSockets: 64, scheduling: "lifo" }),
    "https:": new https.Agent({ keepAlive: true, maxSockets: 256, maxFreeSockets: 64, scheduling: "lifo" }),
  };
  const defaultTimeoutMs = options.timeoutMs ?? DEFAULT_BACKEND_TIMEOUT_MS;

  function request(method: string, path: string, init: BackendRequestInit = {}): Promise<BackendReply> {
    let url: URL;
    try {
      url = new URL(resolveBaseUrl() + path + (init.query ? `?${init.query}` : ""));
    } catch (err) {
      return Promise.reject(new BackendUnavailableError(`no usable backend URL: ${(err as Error).message}`, err));
    }
    const transport = url.protocol === "https:" ? https : http;
    const agent = url.protocol === "https:" ? agents["https:"] : agents["http:"];
    const callerFirst = init.deadlineMs !== undefined && init.deadlineMs < defaultTimeoutMs;
    const timeoutMs = callerFirst ? init.deadlineMs! : defaultTimeoutMs;
    if (timeoutMs <= 0) return Promise.reject(new CallerDeadlineError("no time left for the backend call"));
    const timeoutError = () =>
      callerFirst
        ? new CallerDeadlineError(`the call's deadline ran out after ${timeoutMs} ms waiting for the backend`)
        : new BackendUnavailableError(`backend did not answer within ${timeoutMs} ms`);
    return new Promise<BackendReply>((resolve, reject) => {
      const headers: Record<string, string | number> = { ...init.headers };
      const token = options.token?.();
      if (token) headers[BACKEND_TOKEN_HEADER] = token;
      if (init.body) {
        headers["content-type"] ??= "application/json";
        headers["content-length"] = init.body.length;
      }
      let timer: NodeJS.Timeout | undefined;
      const fail = (err: unknown) => {
        clearTimeout(timer);
        reject(err instanceof CallerDeadlineError ? err : asUnavailable(err));
      };
      const req = transport.request(url, { method, headers, agent, signal: init.signal }, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on("data", (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_BACKEND_RESPONSE_BYTES) {
            req.destroy(new BackendUnavailableError(`backend response larger than ${MAX_BACKEND_RESPONSE_BYTES} bytes`));
            return;
          }
          chunks.push(chunk);
        });
        res.on("end", () => {
          clearTimeout(timer);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) });
        });
        res.on("error", fail);
        // A connection cut mid-answer: settle even if no 'error' is emitted.
        res.on("close", () => {
          if (!res.complete) fail(new BackendUnavailableError("backend closed the connection in the middle of its answer"));
        });
      });
      // An absolute deadline (req.setTimeout only watches socket inactivity, and not the wait for a
      // pooled socket): a backend that hangs, or trickles its answer, cannot hold a call longer.
      timer = setTimeout(() => req.destroy(timeoutError()), timeoutMs);
      req.on("error", fail);
      req.end(init.body);
    });
  }

  return {
    baseUrl: resolveBaseUrl,
    request,
    close() {
      agents["http:"].destroy();
      agents["https:"].destroy();
    },
  };
}

function asUnavailable(err: unknown): BackendUnavailableError {
  if (err instanceof BackendUnavailableError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new BackendUnavailableError(`backend unreachable: ${message}`, err);
}
