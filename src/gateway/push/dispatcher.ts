// The dispatcher (§5): one SubscribePush stream from the backend per gateway, fanned out to the
// PushHub. If the stream drops it reconnects with backoff and `resume_after_event_id`, so nothing is
// lost; events at or below the last id seen are dropped, so nothing is delivered twice.
import http from "node:http";
import https from "node:https";
import { createClient, type Client } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { BACKEND_TOKEN_HEADER } from "../../node/backend-token.js";
import { abortableDelay } from "../../shared/abortable-delay.js";
import { backoffDelay, type BackoffPolicy } from "../../shared/backoff.js";
import { Push, type PushEvent } from "../../shared/gen/galaxy/backend/v1/backend_push_pb.js";

export interface DispatcherTarget {
  clientEvent(userId: string, deviceSessionId: string, eventType: string, eventId: string, payload: Uint8Array): void;
  sessionInvalidation(userId: string, deviceSessionId: string, reason: string): void;
  /** Connected: invalidations can reach the gateway, so session caching is safe. */
  connectionChanged(connected: boolean): void;
}

/**
 * 100 ms, 200 ms … 5 s: a backend that restarts is back in use within a tenth of a second of
 * listening again, and one that stays down costs one attempt per ~5 s.
 */
export const PUSH_RECONNECT_BACKOFF: BackoffPolicy = { baseMs: 100, capMs: 5_000 };
/** Response headers of the push stream must arrive within this, or the attempt is abandoned and retried. */
export const DEFAULT_PUSH_CONNECT_TIMEOUT_MS = 5_000;
/** A push event larger than this ends the stream (RESOURCE_EXHAUSTED) and is retried, never buffered. */
export const MAX_PUSH_EVENT_BYTES = 1024 * 1024;

export interface DispatcherOptions {
  connectTimeoutMs?: number;
  /** An injected backend outage (faults/): while this names a fault, attempts fail as refused connections. */
  outage?: () => string | undefined;
  /** Told of every event delivered (after the dedupe of resumes): `--record` (src/gateway/recording/). */
  observe?: (event: PushEvent) => void;
}

export class PushDispatcher {
  private abort = new AbortController();
  private lastEventId = "";
  private running: Promise<void> | undefined;
  private client: Client<typeof Push> | undefined;
  private connected = false;
  /** When `connected` last changed (ms since the epoch), and why the last attempt failed: what the status endpoint shows. */
  private changedAtMs = Date.now();
  private lastError: string | undefined;
  /** Call options of every SubscribePush: the backend token's header, when there is a token. */
  private headers: Record<string, string> = {};
  /** This dispatcher's own connection pool: without one, connect-node would use Node's process-wide agent. */
  private agent: http.Agent | undefined;
  /** The attempt in progress, and the backoff wait between attempts: linkChanged() cuts either short. */
  private attempt: AbortController | undefined;
  private waiting: AbortController | undefined;
  /** The outage linkChanged() last acted on. */
  private outageSeen: string | undefined;

  constructor(
    private readonly gatewayId: string,
    private readonly target: DispatcherTarget,
    private readonly onError: (err: unknown) => void = () => {},
    private readonly options: DispatcherOptions = {},
  ) {}

  /** (Re)starts consuming from `baseUrl`; a new backend means the old event ids mean nothing. */
  start(baseUrl: string, backendToken?: string): void {
    void this.stop();
    this.abort = new AbortController();
    this.lastEventId = "";
    this.headers = backendToken ? { [BACKEND_TOKEN_HEADER]: backendToken } : {};
    this.agent = new URL(baseUrl).protocol === "https:" ? new https.Agent({ keepAlive: true }) : new http.Agent({ keepAlive: true });
    this.client = createClient(
      Push,
      createConnectTransport({ baseUrl, httpVersion: "1.1", readMaxBytes: MAX_PUSH_EVENT_BYTES, nodeOptions: { agent: this.agent } }),
    );
    this.running = this.loop(this.abort.signal);
  }

  async stop(): Promise<void> {
    this.abort.abort();
    const running = this.running;
    const agent = this.agent;
    this.running = undefined;
    this.agent = undefined;
    this.setConnected(false);
    await running;
    agent?.destroy();
  }

  /**
   * An injected outage began or ended (faults/): one that began cuts the stream now, as a dropped
   * connection would; one that ended lets the next attempt start now, resuming after the last event.
   */
  linkChanged(): void {
    const outage = this.options.outage?.();
    if (outage === this.outageSeen) return; // another fault changed: nothing to do here
    this.outageSeen = outage;
    if (outage) this.attempt?.abort(new Error(`push stream: backend link cut (injected fault ${outage})`));
    else this.waiting?.abort();
  }

  private async loop(signal: AbortSignal): Promise<void> {
    let failures = 0; // attempts that failed since the stream was last up
    const connectTimeoutMs = this.options.connectTimeoutMs ?? DEFAULT_PUSH_CONNECT_TIMEOUT_MS;
    while (!signal.aborted) {
      // Each attempt has its own signal: a backend that accepts the connection but never answers is
      // given up after connectTimeoutMs instead of holding the dispatcher forever.
      const attempt = (this.attempt = new AbortController());
      const onStop = () => attempt.abort();
      signal.addEventListener("abort", onStop, { once: true });
      const connectTimer = setTimeout(
        () => attempt.abort(new Error(`push stream: no response headers within ${connectTimeoutMs} ms`)),
        connectTimeoutMs,
      );
      try {
        const outage = this.options.outage?.();
        if (outage) throw new Error(`push stream: backend unreachable: connection refused (injected fault ${outage})`);
        const stream = this.client!.subscribePush(
          { gatewayId: this.gatewayId, resumeAfterEventId: this.lastEventId },
          {
            signal: attempt.signal,
            headers: this.headers,
            onHeader: () => {
              clearTimeout(connectTimer);
              failures = 0;
              this.setConnected(true);
            },
          },
        );
        for await (const event of stream) this.handle(event);
      } catch (err) {
        if (!signal.aborted) {
          this.lastError = err instanceof Error ? err.message : String(err);
          this.onError(err);
        }
      } finally {
        clearTimeout(connectTimer);
        signal.removeEventListener("abort", onStop);
      }
      if (this.attempt === attempt) this.attempt = undefined;
      this.setConnected(false);
      if (signal.aborted) return;
      const waiting = (this.waiting = new AbortController());
      const onStopWaiting = () => waiting.abort();
      signal.addEventListener("abort", onStopWaiting, { once: true });
      await abortableDelay(backoffDelay(PUSH_RECONNECT_BACKOFF, ++failures), waiting.signal);
      signal.removeEventListener("abort", onStopWaiting);
      if (this.waiting === waiting) this.waiting = undefined;
    }
  }

  private handle(event: PushEvent): void {
    // A kindless event is a heartbeat (the mock sends one when a stream opens); without an id an
    // event cannot be resumed from, so it is not delivered either.
    if (event.kind.case === undefined || event.eventId === "") return;
    if (this.lastEventId && !isAfter(event.eventId, this.lastEventId)) return; // duplicate from a resume
    this.lastEventId = event.eventId;
    this.options.observe?.(event);
    const kind = event.kind;
    if (kind.case === "clientEvent") {
      const e = kind.value;
      this.target.clientEvent(e.userId, e.deviceSessionId, e.eventType, event.eventId, e.payloadBytes);
    } else if (kind.case === "sessionInvalidation") {
      const e = kind.value;
      this.target.sessionInvalidation(e.userId, e.deviceSessionId, e.reason);
    }
  }

  /** The push stream as measured: up (response headers seen, not ended since) or not, since when. */
  status(): { connected: boolean; since_ms: number; last_error?: string } {
    return { connected: this.connected, since_ms: this.changedAtMs, ...(this.lastError && !this.connected ? { last_error: this.lastError } : {}) };
  }

  private setConnected(connected: boolean): void {
    if (connected === this.connected) return;
    this.connected = connected;
    this.changedAtMs = Date.now();
    if (connected) this.lastError = undefined;
    this.target.connectionChanged(connected);
  }
}

/** Backend ids are increasing: numerically when both are decimal, else by (length, text). */
function isAfter(id: string, last: string): boolean {
  if (id.length !== last.length) return id.length > last.length;
  return id > last;
}
