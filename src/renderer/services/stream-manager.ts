// SubscribeEvents streams, one per device session, living outside React so that switching tabs or
// the active device never drops them. Reconnects with exponential backoff (STREAM_BACKOFF) after
// UNAVAILABLE or network errors, never after session_revoked; drops duplicate event_ids.
import { Code, type Client } from "@connectrpc/connect";
import { abortableDelay } from "../../shared/abortable-delay.js";
import { backoffDelay, type BackoffPolicy } from "../../shared/backoff.js";
import type { StoredDevice } from "../../shared/bridge.js";
import type { EdgeGateway, EventEnvelope, GatewayEvent } from "../../shared/gen/galaxy/gateway/v1/gateway_pb.js";
import { SERVER_TIME_EVENT_TYPE } from "../../shared/protocol.js";
import { subscribeEventsRequest, verifyStreamEvent, type Verification } from "../../sdk/signed-call.js";
import { Store, type ExternalStore } from "../lib/store.js";
import { identityOf, pinnedKeyOf, prettyPayload } from "./gateway-client.js";
import { isTransient, toRejection, type Rejection } from "./rejection.js";

/** 0.5 s, 1 s, 2 s … 10 s: a console tab retries gently, and a restarted gateway sees it back within 10 s. */
export const STREAM_BACKOFF: BackoffPolicy = { baseMs: 500, capMs: 10_000 };
const MAX_EVENTS = 500;
const SEEN_IDS = 1_000;

export type StreamStatus =
  | { kind: "idle" }
  | { kind: "connecting"; attempt: number }
  | { kind: "open"; sinceMs: number; requestId: string }
  | { kind: "waiting"; attempt: number; retryAtMs: number; last: Rejection }
  | { kind: "ended"; rejection: Rejection }
  | { kind: "revoked"; rejection: Rejection }
  | { kind: "stopped"; reason?: string };

export interface ReceivedEvent {
  key: string;
  eventId: string;
  eventType: string;
  timestampMs: number;
  requestId: string;
  payload: string;
  verification: Verification;
  receivedAtMs: number;
  /** What the gateway signed, and its signature: the Events tab shows them as Commands does. */
  envelope?: EventEnvelope;
  signature: Uint8Array;
}

export interface StreamState {
  deviceSessionId: string;
  status: StreamStatus;
  /** A subscription loop runs (connecting, open or waiting to reconnect) until stopped or ended for good. */
  running: boolean;
  events: ReceivedEvent[];
  duplicatesDropped: number;
  connections: number;
  /** The latest lifecycle transitions, newest first. */
  history: { atMs: number; text: string }[];
}

interface Running {
  abort: AbortController;
  seen: Set<string>;
  seenOrder: string[];
}

/** The manager's outside world; the timing ones default to the browser's. Tests substitute them. */
export interface StreamManagerDeps {
  /** The EdgeGateway client (the app's: Connect over fetch to this page's origin). */
  client: () => Pick<Client<typeof EdgeGateway>, "subscribeEvents">;
  /** Waits `ms` before a reconnect, ending early when `signal` aborts (default: abortableDelay). */
  delay?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** The backoff jitter's random source (default: Math.random). */
  random?: () => number;
}

/** An external store (lib/store.ts) of every stream's state, keyed by device session. */
export class StreamManager implements ExternalStore<ReadonlyMap<string, StreamState>> {
  private readonly client: StreamManagerDeps["client"];
  private readonly delay: NonNullable<StreamManagerDeps["delay"]>;
  private readonly random: NonNullable<StreamManagerDeps["random"]>;
  private readonly running = new Map<string, Running>();
  private readonly states = new Store<ReadonlyMap<string, StreamState>>(new Map());

  constructor(deps: StreamManagerDeps) {
    this.client = deps.client;
    this.delay = deps.delay ?? abortableDelay;
    this.random = deps.random ?? Math.random;
  }

  readonly subscribe = this.states.subscribe;
  readonly getSnapshot = this.states.getSnapshot;

  isRunning(id: string): boolean {
    return this.running.has(id);
  }

  start(device: StoredDevice, onRevoked: (deviceSessionId: string) => void): void {
    const id = device.deviceSessionId;
    if (this.running.has(id)) return;
    const run: Running = { abort: new AbortController(), seen: new Set(), seenOrder: [] };
    this.running.set(id, run);
    this.update(id, (s) => ({ ...s, running: true, status: { kind: "connecting", attempt: 0 } }));
    void this.loop(device, run, onRevoked).finally(() => {
      if (this.running.get(id) !== run) return;
      this.running.delete(id);
      this.update(id, (s) => ({ ...s, running: false }));
    });
  }

  /** Ends a stream; `reason` (when the console, not the user, stops it) is shown with "Unsubscribed". */
  stop(id: string, reason?: string): void {
    const run = this.running.get(id);
    if (!run) return;
    this.running.delete(id);
    run.abort.abort();
    this.setStatus(id, reason ? { kind: "stopped", reason } : { kind: "stopped" });
    this.update(id, (s) => ({ ...s, running: false }));
  }

  stopAll(reason?: string): void {
    for (const id of [...this.running.keys()]) this.stop(id, reason);
  }

  clear(id: string): void {
    this.update(id, (s) => ({ ...s, events: [], duplicatesDropped: 0 }));
  }

  forget(id: string): void {
    this.states.update((states) => {
      const next = new Map(states);
      next.delete(id);
      return next;
    });
  }

  private async loop(device: StoredDevice, run: Running, onRevoked: (id: string) => void): Promise<void> {
    const id = device.deviceSessionId;
    const { signal } = run.abort;
    const pinned = pinnedKeyOf(device);
    let attempt = 0;
    while (!signal.aborted) {
      this.setStatus(id, { kind: "connecting", attempt });
      const request = subscribeEventsRequest(identityOf(device));
      const requestId = request.envelope?.requestId ?? "";
      let last: Rejection;
      try {
        this.update(id, (s) => ({ ...s, connections: s.connections + 1 }));
        for await (const event of this.client().subscribeEvents(request, { signal })) {
          if (this.getSnapshot().get(id)?.status.kind !== "open") {
            attempt = 0;
            this.setStatus(id, { kind: "open", sinceMs: Date.now(), requestId });
          }
          this.receive(id, run, event, pinned, requestId);
        }
        if (signal.aborted) return;
        last = { code: "STREAM_CLOSED", codeNumber: Code.Unavailable, message: "the gateway closed the stream" };
      } catch (e) {
        if (signal.aborted) return;
        last = toRejection(e);
        if (last.reason === "session_revoked") {
          this.setStatus(id, { kind: "revoked", rejection: last });
          onRevoked(id);
          return;
        }
        if (!isTransient(last)) {
          this.setStatus(id, { kind: "ended", rejection: last });
          return;
        }
      }
      attempt++;
      const delay = backoffDelay(STREAM_BACKOFF, attempt, { retryAfterMs: last.retryAfterMs, random: this.random });
      this.setStatus(id, { kind: "waiting", attempt, retryAtMs: Date.now() + delay, last });
      await this.delay(delay, signal);
    }
  }

  private receive(id: string, run: Running, event: GatewayEvent, pinned: Uint8Array, requestId: string): void {
    const env = event.envelope;
    const eventId = env?.eventId ?? "";
    const eventType = env?.eventType ?? "";
    // Backend events keep their id across reconnects; the gateway's own server_time event is per stream.
    const key = eventType === SERVER_TIME_EVENT_TYPE ? `${requestId}/${eventId}` : eventId;
    if (run.seen.has(key)) {
      this.update(id, (s) => ({ ...s, duplicatesDropped: s.duplicatesDropped + 1 }));
      return;
    }
    run.seen.add(key);
    run.seenOrder.push(key);
    if (run.seenOrder.length > SEEN_IDS) run.seen.delete(run.seenOrder.shift()!);

    // The SDK's own check, as a verdict to show: the client SDK ends its stream on a bad event, the console lists it.
    const verification = verifyStreamEvent(event, pinned, { deviceSessionId: id, requestId });
    const received: ReceivedEvent = {
      key: `${key}#${Date.now()}`,
      eventId,
      eventType,
      timestampMs: Number(env?.timestampMs ?? 0n),
      requestId: env?.requestId ?? "",
      payload: prettyPayload(event.payloadBytes),
      verification,
      receivedAtMs: Date.now(),
      ...(env ? { envelope: env } : {}),
      signature: event.signature,
    };
    this.update(id, (s) => ({ ...s, events: [received, ...s.events].slice(0, MAX_EVENTS) }));
  }

  private setStatus(id: string, status: StreamStatus): void {
    const text = describeStatus(status);
    this.update(id, (s) => ({ ...s, status, history: [{ atMs: Date.now(), text }, ...s.history].slice(0, 30) }));
  }

  private update(id: string, f: (s: StreamState) => StreamState): void {
    this.states.update((states) => {
      const prev: StreamState = states.get(id) ?? {
        deviceSessionId: id,
        status: { kind: "idle" },
        running: false,
        events: [],
        duplicatesDropped: 0,
        connections: 0,
        history: [],
      };
      return new Map(states).set(id, f(prev));
    });
  }
}

function describeRejection(r: Rejection): string {
  return [r.code, r.reason, r.stage && `at ${r.stage}`, r.message && `— ${r.message}`].filter(Boolean).join(" ");
}

function describeStatus(s: StreamStatus): string {
  switch (s.kind) {
    case "idle":
      return "idle";
    case "connecting":
      return s.attempt ? `reconnect attempt ${s.attempt}` : "connecting";
    case "open":
      return `open (request_id ${s.requestId})`;
    case "waiting":
      return `${describeRejection(s.last)}; retry in ${((s.retryAtMs - Date.now()) / 1000).toFixed(1)} s`;
    case "ended":
      return `ended: ${describeRejection(s.rejection)}`;
    case "revoked":
      return `revoked: ${describeRejection(s.rejection)}`;
    case "stopped":
      return s.reason ? `unsubscribed: ${s.reason}` : "unsubscribed";
  }
}
