// The PushHub (§5): live SubscribeEvents streams keyed by user and device session. Each stream has a
// bounded queue; a consumer that falls behind is cut off (RESOURCE_EXHAUSTED slow_consumer) instead
// of growing memory without bound.
import { Code } from "@connectrpc/connect";
import { GatewayRejection } from "../stages/stage.js";

export const DEFAULT_STREAM_QUEUE_LIMIT = 1_024;

export interface HubEvent {
  eventType: string;
  eventId: string;
  payloadBytes: Uint8Array;
}

/** One subscriber: an async-iterable queue of events, ended with a rejection or by the client. */
export class EventStream {
  private readonly queue: HubEvent[] = [];
  private wake: (() => void) | undefined;
  private ended: GatewayRejection | "client_gone" | undefined;

  constructor(
    readonly userId: string,
    readonly deviceSessionId: string,
    private readonly queueLimit: number,
  ) {}

  push(event: HubEvent): void {
    if (this.ended) return;
    if (this.queue.length >= this.queueLimit) {
      this.end(new GatewayRejection(Code.ResourceExhausted, "slow_consumer", "push", `more than ${this.queueLimit} events waiting`));
      return;
    }
    this.queue.push(event);
    this.signal();
  }

  end(reason: GatewayRejection | "client_gone"): void {
    if (this.ended) return;
    this.ended = reason;
    if (reason !== "client_gone") this.queue.length = 0; // a rejection ends the stream now
    this.signal();
  }

  /** Yields queued events until the stream ends; throws the rejection that ended it. */
  async *events(): AsyncGenerator<HubEvent> {
    for (;;) {
      const next = this.queue.shift();
      if (next) {
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
  private closed = false;

  constructor(private readonly queueLimit = DEFAULT_STREAM_QUEUE_LIMIT) {}

  /** Registers a stream; after close() every new stream is ended with UNAVAILABLE at once. */
  register(userId: string, deviceSessionId: string): EventStream {
    const stream = new EventStream(userId, deviceSessionId, this.queueLimit);
    if (this.closed) {
      stream.end(shuttingDown());
      return stream;
    }
    let streams = this.byUser.get(userId);
    if (!streams) this.byUser.set(userId, (streams = new Set()));
    streams.add(stream);
    return stream;
  }

  unregister(stream: EventStream): void {
    const streams = this.byUser.get(stream.userId);
    if (!streams) return;
    streams.delete(stream);
    if (streams.size === 0) this.byUser.delete(stream.userId);
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
  }

  get size(): number {
    let n = 0;
    for (const streams of this.byUser.values()) n += streams.size;
    return n;
  }

  private matching(userId: string, deviceSessionId: string): EventStream[] {
    const streams = this.byUser.get(userId);
    if (!streams) return [];
    return [...streams].filter((s) => !deviceSessionId || s.deviceSessionId === deviceSessionId);
  }
}

function shuttingDown(): GatewayRejection {
  return new GatewayRejection(Code.Unavailable, "gateway_shutting_down", "push", "the gateway is shutting down");
}
