// The PushHub (§5): live SubscribeEvents streams keyed by user and device session. Each stream has a
// queue bounded in events and in bytes; a consumer that falls behind is cut off (RESOURCE_EXHAUSTED
// slow_consumer) instead of growing memory without bound. A device session may hold a bounded number
// of streams (RESOURCE_EXHAUSTED too_many_streams), and the hub a bounded total.
import { Code } from "@connectrpc/connect";
import { GatewayRejection } from "../stages/stage.js";

export interface PushLimits {
  /** Events waiting per stream; one more and the stream ends with slow_consumer. */
  streamQueueEvents: number;
  /** Payload bytes waiting per stream; past it the stream ends with slow_consumer. */
  streamQueueBytes: number;
  /** Live SubscribeEvents streams per device session; the next one is refused with too_many_streams. */
  streamsPerSession: number;
  /** Live streams in the whole gateway; the next one is refused with too_many_streams. */
  totalStreams: number;
}

export const DEFAULT_PUSH_LIMITS: PushLimits = {
  streamQueueEvents: 1_024,
  streamQueueBytes: 4 * 1024 * 1024,
  streamsPerSession: 8,
  totalStreams: 100_000,
};

export interface HubEvent {
  eventType: string;
  eventId: string;
  payloadBytes: Uint8Array;
  /** SHA-256 of payloadBytes, computed once per push rather than once per stream; absent: computed when signed. */
  payloadHash?: Uint8Array;
}

/** One subscriber: an async-iterable queue of events, ended with a rejection or by the client. */
export class EventStream {
  private readonly queue: HubEvent[] = [];
  private queuedBytes = 0;
  private wake: (() => void) | undefined;
  private ended: GatewayRejection | "client_gone" | undefined;

  constructor(
    readonly userId: string,
    readonly deviceSessionId: string,
    private readonly limits: Pick<PushLimits, "streamQueueEvents" | "streamQueueBytes">,
  ) {}

  /** Events waiting to be sent (for tests and diagnostics). */
  get queued(): number {
    return this.queue.length;
  }

  push(event: HubEvent): void {
    if (this.ended) return;
    const bytes = event.payloadBytes.byteLength;
    if (this.queue.length >= this.limits.streamQueueEvents || this.queuedBytes + bytes > this.limits.streamQueueBytes) {
      const what = `more than ${this.limits.streamQueueEvents} events or ${this.limits.streamQueueBytes} bytes waiting`;
      this.end(new GatewayRejection(Code.ResourceExhausted, "slow_consumer", "push", `the client reads too slowly: ${what}`));
      return;
    }
    this.queue.push(event);
    this.queuedBytes += bytes;
    this.signal();
  }

  end(reason: GatewayRejection | "client_gone"): void {
    if (this.ended) return;
    this.ended = reason;
    if (reason !== "client_gone") {
      this.queue.length = 0; // a rejection ends the stream now
      this.queuedBytes = 0;
    }
    this.signal();
  }

  /** Yields queued events until the stream ends; throws the rejection that ended it. */
  async *events(): AsyncGenerator<HubEvent> {
    for (;;) {
      const next = this.queue.shift();
      if (next) {
        this.queuedBytes -= next.payloadBytes.byteLength;
        yield next;
        continue;
      }
      if (this.ended instanceof GatewayRejection) throw this.ended;
      if (this.ended) return;
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  private signal(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}

export class PushHub {
  private readonly byUser = new Map<string, Set<EventStream>>();
  private readonly perSession = new Map<string, number>();
  private total = 0;
  private closed = false;
  private readonly limits: PushLimits;

  constructor(limits: Partial<PushLimits> = {}) {
    this.limits = { ...DEFAULT_PUSH_LIMITS, ...limits };
  }

  /** SubscribeEvents streams open now. */
  get openStreams(): number {
    return this.total;
  }

  /**
   * Registers a stream; after close() every new stream is ended with UNAVAILABLE at once. Throws
   * RESOURCE_EXHAUSTED too_many_streams when the session (or the hub) holds its maximum already.
   */
  register(userId: string, deviceSessionId: string): EventStream {
    const stream = new EventStream(userId, deviceSessionId, this.limits);
    if (this.closed) {
      stream.end(shuttingDown());
      return stream;
    }
    const held = this.perSession.get(deviceSessionId) ?? 0;
    if (held >= this.limits.streamsPerSession) {
      throw tooManyStreams(`this device session already has ${held} SubscribeEvents streams (at most ${this.limits.streamsPerSession})`);
    }
    if (this.total >= this.limits.totalStreams) {
      throw tooManyStreams(`the gateway holds its maximum of ${this.limits.totalStreams} SubscribeEvents streams`);
    }
    let streams = this.byUser.get(userId);
    if (!streams) this.byUser.set(userId, (streams = new Set()));
    streams.add(stream);
    this.perSession.set(deviceSessionId, held + 1);
    this.total++;
    return stream;
  }

  unregister(stream: EventStream): void {
    const streams = this.byUser.get(stream.userId);
    if (!streams?.delete(stream)) return;
    if (streams.size === 0) this.byUser.delete(stream.userId);
    const held = (this.perSession.get(stream.deviceSessionId) ?? 1) - 1;
    if (held > 0) this.perSession.set(stream.deviceSessionId, held);
    else this.perSession.delete(stream.deviceSessionId);
    this.total--;
  }

  /** Delivers to the user's streams: all of them, or those of one device session. Returns how many. */
  deliver(userId: string, deviceSessionId: string, event: HubEvent): number {
    let delivered = 0;
    for (const stream of this.matching(userId, deviceSessionId)) {
      stream.push(event);
      delivered++;
    }
    return delivered;
  }

  /** Ends the matching streams with FAILED_PRECONDITION session_revoked. */
  invalidate(userId: string, deviceSessionId: string): number {
    const streams = this.matching(userId, deviceSessionId);
    for (const stream of streams) {
      stream.end(new GatewayRejection(Code.FailedPrecondition, "session_revoked", "push", "device session was revoked"));
      this.unregister(stream);
    }
    return streams.length;
  }

  /** Shutdown, step 1 of §5.5: every stream ends with UNAVAILABLE gateway_shutting_down. */
  close(): void {
    this.closed = true;
    for (const streams of this.byUser.values()) for (const stream of streams) stream.end(shuttingDown());
    this.byUser.clear();
    this.perSession.clear();
    this.total = 0;
  }

  get size(): number {
    return this.total;
  }

  private matching(userId: string, deviceSessionId: string): EventStream[] {
    const streams = this.byUser.get(userId);
    if (!streams) return [];
    return [...streams].filter((s) => !deviceSessionId || s.deviceSessionId === deviceSessionId);
  }
}

function tooManyStreams(message: string): GatewayRejection {
  return new GatewayRejection(Code.ResourceExhausted, "too_many_streams", "push", message);
}

function shuttingDown(): GatewayRejection {
  return new GatewayRejection(Code.Unavailable, "gateway_shutting_down", "push", "the gateway is shutting down");
}
