// The gateway's HTTP client for the backend's REST API (§4 routed calls, §3 forwarded auth, §6
// session lookups, and the mock's /emulator/v1 endpoints). Keep-alive pooled, bounded in time and
// in response size, and pointed at whatever the live config says the backend is.
//
// Built on undici's Pool through its dispatch-handler API (public: Dispatcher.dispatch): the answer
// arrives as callbacks, with no IncomingMessage, stream or promise per call. Measured with
// bench/backend-hop.ts (CPU of the calling process per call, 64 concurrent, interleaved runs):
// ~45 µs per call against ~117 µs for node:http with a keep-alive Agent, and ~68 µs for undici's
// stream-based `request()` (bench/README.md, finding 3).
import type http from "node:http";
import { Pool, type Dispatcher } from "undici";
import { BACKEND_TOKEN_HEADER } from "../../node/backend-token.js";
import { timeoutAtLeast } from "../../node/timeout-at-least.js";

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
  /** Largest answer accepted (default MAX_BACKEND_RESPONSE_BYTES); a state export is larger. */
  maxResponseBytes?: number;
  /** The RPC this call serves: backend faults match it by these fields and tell it their id (its journal entry shows it). */
  forCall?: { messageType?: string; userId?: string; deviceSessionId?: string; injected(faultId: string): void };
}

/**
 * A fault injected into one call (src/gateway/faults/): `refused` fails it as a refused connection
 * would; otherwise it waits `delayMs` (inside the call's deadline, as a slow backend would) and then
 * either makes the call or, with `status`, answers that status itself.
 */
export interface InjectedBackendFault {
  id: string;
  delayMs: number;
  status?: number;
  refused?: boolean;
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
  /** Consulted before each call: the fault to inject into it, if any (FaultSet.backendFault). */
  faults?: (path: string, subject: { messageType?: string; userId?: string; deviceSessionId?: string }) => InjectedBackendFault | undefined;
  /**
   * Told of every call the backend answered (`--record`, src/gateway/recording/): not of calls that
   * failed (refused, reset, timed out, too large) nor of answers an injected fault made up.
   */
  observe?: (method: string, path: string, init: BackendRequestInit, reply: BackendReply) => void;
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
    // own header/body timeouts are off: BackendCall's absolute deadline bounds the whole call.
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
    const fault = options.faults?.(path, init.forCall ?? {});
    if (fault) init.forCall?.injected(fault.id);
    if (fault?.refused) return Promise.reject(new BackendUnavailableError(`backend unreachable: connection refused (injected fault ${fault.id})`));
    const answered = new Promise<BackendReply>((resolve, reject) => {
      const call = new BackendCall(resolve, reject, timeoutMs, callerFirst, init.signal, init.maxResponseBytes ?? MAX_BACKEND_RESPONSE_BYTES);
      if (call.settled) return;
      const send = () => {
        if (fault?.status !== undefined) return call.answer(fault.status, injectedErrorBody(fault.id));
        try {
          poolFor(url.origin).dispatch(
            { path: url.pathname + url.search, method: method as Dispatcher.HttpMethod, headers, body: init.body ?? null },
            call,
          );
        } catch (err) {
          call.stop(asUnavailable(err));
        }
      };
      if (fault && fault.delayMs > 0) call.after(fault.delayMs, send);
      else send();
    });
    const observe = options.observe;
    if (!observe || fault?.status !== undefined) return answered;
    return answered.then((reply) => {
      observe(method, path, init, reply);
      return reply;
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

/**
 * One call in flight, as undici's dispatch handler. A class rather than closures: a call allocates one
 * object, and the signal listener and the timer reach it without a bound function of their own.
 */
class BackendCall implements Dispatcher.DispatchHandlers {
  settled = false;
  /** undici's abort for this request, once it has a connection; until then `stopped` is checked. */
  private abort: ((err: Error) => void) | undefined;
  private stopped: Error | undefined;
  private readonly timer: NodeJS.Timeout;
  /** An injected latency's timer, before the request is made. */
  private cancelDelay: (() => void) | undefined;
  private status = 0;
  private rawHeaders: Buffer[] = [];
  private readonly chunks: Buffer[] = [];
  private size = 0;

  constructor(
    private readonly resolve: (reply: BackendReply) => void,
    private readonly reject: (err: Error) => void,
    private readonly timeoutMs: number,
    private readonly callerDeadline: boolean,
    private readonly signal: AbortSignal | undefined,
    private readonly maxBytes: number,
  ) {
    // An absolute deadline, from now: the wait for a pooled connection, the answer's headers and
    // every byte of its body all count, so a backend that hangs or trickles cannot hold a call longer.
    this.timer = setTimeout(expire, timeoutMs, this);
    if (signal?.aborted) this.handleEvent();
    else signal?.addEventListener("abort", this, { once: true });
  }

  /** The caller's signal aborted (EventListener interface). */
  handleEvent(): void {
    this.stop(asUnavailable(this.signal?.reason ?? new Error("aborted")));
  }

  expire(): void {
    this.stop(
      this.callerDeadline
        ? new CallerDeadlineError(`the call's deadline ran out after ${this.timeoutMs} ms waiting for the backend`)
        : new BackendUnavailableError(`backend did not answer within ${this.timeoutMs} ms`),
    );
  }

  /** Ends the call now (deadline, caller gone, answer too large), and the request with it. */
  stop(err: Error): void {
    this.stopped ??= err;
    this.abort?.(err);
    this.onError(err);
  }

  /** Runs `send` after `ms` unless the call ends first (deadline, caller gone): an injected slow backend. */
  after(ms: number, send: () => void): void {
    this.cancelDelay = timeoutAtLeast(ms, () => {
      this.cancelDelay = undefined;
      if (!this.settled) send();
    });
  }

  /** An answer made here rather than by the backend (an injected `status`). */
  answer(status: number, body: Buffer): void {
    this.onHeaders(status, [Buffer.from("content-type"), Buffer.from("application/json")]);
    this.chunks.push(body);
    this.size = body.length;
    this.onComplete();
  }

  onConnect(abort: (err?: Error) => void): void {
    // Stopped while it waited for a connection: abort it as it starts (undici's own idiom, api-request).
    if (this.stopped) return abort(this.stopped);
    this.abort = abort;
  }

  onHeaders(statusCode: number, headers: Buffer[]): boolean {
    // Called again after a 1xx: the final answer's status and headers are the ones kept.
    this.status = statusCode;
    this.rawHeaders = headers;
    return true;
  }

  onData(chunk: Buffer): boolean {
    this.size += chunk.length;
    if (this.size > this.maxBytes) {
      this.stop(new BackendUnavailableError(`backend response larger than ${this.maxBytes} bytes`));
      return false;
    }
    this.chunks.push(chunk);
    return true;
  }

  onComplete(): void {
    if (this.settled) return;
    this.finish();
    this.resolve(new Reply(this.status, Buffer.concat(this.chunks, this.size), this.rawHeaders));
  }

  /** Refused, reset, cut mid-answer, unparsable HTTP, or one of the stops above. */
  onError(err: Error): void {
    if (this.settled) return;
    this.finish();
    this.reject(err instanceof CallerDeadlineError ? err : asUnavailable(err));
  }

  private finish(): void {
    this.settled = true;
    clearTimeout(this.timer);
    this.cancelDelay?.();
    this.signal?.removeEventListener("abort", this);
  }
}

function expire(call: BackendCall): void {
  call.expire();
}

/**
 * One header of an answer (the first value), by its lower-case name, without building the header
 * object: the routed calls of ExecuteCommand look for the stub headers on every answer
 * (stages/backend.ts). Measured on loopback, 2 500 fresh replies of a node:http answer with the mock's
 * 7 headers, on a busy 2-core machine: building `headers` ~5 µs per reply, this scan for two names
 * ~0.5 µs in quiet rounds (it compares lengths first and decodes only names of the length asked for).
 */
export function replyHeader(reply: BackendReply, name: string): string | undefined {
  if (!(reply instanceof Reply)) {
    const value = reply.headers[name];
    return Array.isArray(value) ? value[0] : value;
  }
  return reply.header(name);
}

/** An answer; its headers are built when first read (the routed calls of ExecuteCommand never read them). */
class Reply implements BackendReply {
  private parsed: http.IncomingHttpHeaders | undefined;

  constructor(
    readonly status: number,
    readonly body: Buffer,
    private readonly rawHeaders: Buffer[],
  ) {}

  get headers(): http.IncomingHttpHeaders {
    return (this.parsed ??= toHeaderObject(this.rawHeaders));
  }

  header(name: string): string | undefined {
    const raw = this.rawHeaders;
    for (let i = 0; i + 1 < raw.length; i += 2) {
      if (raw[i]!.length === name.length && raw[i]!.toString("latin1").toLowerCase() === name) return raw[i + 1]!.toString("latin1");
    }
    return undefined;
  }
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

/** The body of an injected status: a JSON error, so a 4xx is a business error (`injected_fault`) and a 5xx a failure. */
function injectedErrorBody(faultId: string): Buffer {
  return Buffer.from(JSON.stringify({ error: { code: "injected_fault", message: `injected fault ${faultId}` } }));
}

function asUnavailable(err: unknown): BackendUnavailableError {
  if (err instanceof BackendUnavailableError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new BackendUnavailableError(`backend unreachable: ${message}`, err);
}
