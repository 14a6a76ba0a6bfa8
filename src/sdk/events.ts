// SubscribeEvents as an async iterator of verified events: reconnects with backoff after transient
// failures (src/shared/backoff.ts), drops events already yielded (backend events keep their event_id
// across reconnects: the gateway resumes and may deliver one twice), learns the clock offset from each
// stream's `gateway.server_time`, and ends with a GatewayCallError on `session_revoked` or any other
// final rejection, and with a VerificationError on an event that does not verify.
import { Code, type Client } from "@connectrpc/connect";
import { abortableDelay } from "../shared/abortable-delay.js";
import { backoffDelay, type BackoffPolicy } from "../shared/backoff.js";
import { fromUtf8 } from "../shared/bytes.js";
import type { EdgeGateway, GatewayEvent } from "../shared/gen/galaxy/gateway/v1/gateway_pb.js";
import { SERVER_TIME_EVENT_TYPE } from "../shared/protocol.js";
import type { Device } from "./device.js";
import { GatewayCallError, isTransientFailure, VerificationError } from "./errors.js";
import { subscribeEventsRequest, verifyStreamEvent } from "./signed-call.js";

/** 0.5 s, 1 s, 2 s … 10 s: a restarted gateway sees its clients back within 10 s without a stampede. */
export const DEFAULT_STREAM_BACKOFF: BackoffPolicy = { baseMs: 500, capMs: 10_000 };
/**
 * Event ids remembered for dedupe. Redelivery happens only around a reconnect (the backend replays
 * from the last id the gateway saw), so the latest thousand ids cover it with room to spare.
 */
const SEEN_EVENT_IDS = 1_000;

export interface ReceivedEvent<P = unknown> {
  eventId: string;
  eventType: string;
  /** Gateway clock when the event was signed. */
  timestampMs: number;
  /** The request_id of the SubscribeEvents call (one per connection). */
  requestId: string;
  /** The JSON payload, parsed (undefined when empty). */
  payload: P;
}

export interface SubscribeOptions {
  /** Ends the iteration (without an error) when aborted. */
  signal?: AbortSignal;
  /** Reconnect delays (default DEFAULT_STREAM_BACKOFF). */
  backoff?: BackoffPolicy;
  /** Told before each reconnect wait, with the failure that caused it. */
  onReconnect?: (info: { attempt: number; delayMs: number; error: GatewayCallError }) => void;
}

export interface StreamDeps {
  rpc: Pick<Client<typeof EdgeGateway>, "subscribeEvents">;
  device(): Device;
  gatewayKey(): Promise<Uint8Array>;
  /** The client's clock as the gateway sees it (Date.now() plus the learned offset). */
  now(): number;
  learnServerTime(serverTimeMs: number): void;
  /** A connection whose first event (gateway.server_time) has not come by then is dropped and retried. */
  openTimeoutMs: number;
}

export async function* subscribeEvents(deps: StreamDeps, options: SubscribeOptions = {}): AsyncGenerator<ReceivedEvent> {
  const { signal } = options;
  const policy = options.backoff ?? DEFAULT_STREAM_BACKOFF;
  const seen = new Set<string>();
  const seenOrder: string[] = [];
  const key = await deps.gatewayKey();
  // Without a signal the loop ends only by an error or by the caller leaving the for-await.
  const waitSignal = signal ?? new AbortController().signal;
  let attempt = 0;
  let resignedAfterStale = false;
  while (!signal?.aborted) {
    const device = deps.device();
    const request = subscribeEventsRequest(device, { timestampMs: deps.now() });
    const requestId = request.envelope!.requestId;
    let failure: GatewayCallError;
    const opening = new AbortController();
    const openTimer = setTimeout(() => opening.abort(), deps.openTimeoutMs);
    try {
      const callSignal = signal ? AbortSignal.any([signal, opening.signal]) : opening.signal;
      for await (const event of deps.rpc.subscribeEvents(request, { signal: callSignal })) {
        clearTimeout(openTimer);
        const received = checked(event, key, device.deviceSessionId, requestId);
        attempt = 0;
        resignedAfterStale = false;
        if (received.eventType === SERVER_TIME_EVENT_TYPE) {
          const serverTime = (received.payload as { server_time_ms?: unknown } | undefined)?.server_time_ms;
          if (typeof serverTime === "number") deps.learnServerTime(serverTime);
        }
        // The gateway's own server_time is numbered per stream; backend events keep their id.
        const dedupeKey = received.eventType === SERVER_TIME_EVENT_TYPE ? `${requestId}/${received.eventId}` : received.eventId;
        if (seen.has(dedupeKey)) continue;
        seen.add(dedupeKey);
        seenOrder.push(dedupeKey);
        if (seenOrder.length > SEEN_EVENT_IDS) seen.delete(seenOrder.shift()!);
        yield received;
      }
      if (signal?.aborted) return;
      failure = new GatewayCallError(Code.Unavailable, "the gateway ended the stream");
    } catch (e) {
      if (signal?.aborted) return;
      if (e instanceof VerificationError) throw e;
      failure = opening.signal.aborted
        ? new GatewayCallError(Code.Unavailable, `the stream sent no first event within ${deps.openTimeoutMs} ms`)
        : GatewayCallError.from(e);
      if (failure.serverTimeMs !== undefined) deps.learnServerTime(failure.serverTimeMs);
      // A stale subscription reached nothing; re-signed with the clock just learned, it goes at once.
      if (failure.reason === "stale_request" && failure.serverTimeMs !== undefined && !resignedAfterStale) {
        resignedAfterStale = true;
        continue;
      }
      if (!isTransientFailure(failure.connectCode, failure.reason)) throw failure;
    } finally {
      clearTimeout(openTimer);
    }
    attempt++;
    const delayMs = backoffDelay(policy, attempt, failure.retryAfterMs !== undefined ? { retryAfterMs: failure.retryAfterMs } : {});
    options.onReconnect?.({ attempt, delayMs, error: failure });
    await abortableDelay(delayMs, waitSignal);
  }
}

function checked(event: GatewayEvent, key: Uint8Array, deviceSessionId: string, requestId: string): ReceivedEvent {
  const verification = verifyStreamEvent(event, key, { deviceSessionId, requestId });
  if (!verification.ok) throw new VerificationError(verification.problem, "event");
  const env = event.envelope!;
  let payload: unknown;
  try {
    payload = event.payloadBytes.length === 0 ? undefined : JSON.parse(fromUtf8(event.payloadBytes));
  } catch {
    throw new VerificationError("payload is not UTF-8 JSON", "event");
  }
  return { eventId: env.eventId, eventType: env.eventType, timestampMs: Number(env.timestampMs), requestId: env.requestId, payload };
}
