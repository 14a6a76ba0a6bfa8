// The backend's push event log: assigns increasing ids ("1", "2", …), keeps the newest
// PUSH_LOG_CAPACITY events for replay, and fans every new event out to all live subscribers.
import { create } from "@bufbuild/protobuf";
import {
  ClientEventSchema,
  PushEventSchema,
  SessionInvalidationSchema,
  type PushEvent,
} from "../shared/gen/galaxy/backend/v1/backend_push_pb.js";
import { utf8 } from "../shared/bytes.js";

export const PUSH_LOG_CAPACITY = 10_000;
/** A subscriber further behind than this is cut off; it resumes from its last event id. */
export const MAX_PENDING_PER_SUBSCRIBER = 10_000;

export interface ClientEventInit {
  userId: string;
  /** Empty or omitted: every session of the user. */
  deviceSessionId?: string;
  eventType: string;
  payload: unknown;
}

export interface SessionInvalidationInit {
  userId: string;
  deviceSessionId?: string;
  reason: string;
}

export class SubscriberOverflowError extends Error {}

export class PushLog {
  /** Ids are consecutive, so the entry for id N sits at index N - firstId. */
  private readonly events: PushEvent[] = [];
  private lastId = 0;
  private readonly subscribers = new Set<PushSubscription>();

  get subscriberCount(): number {
    return this.subscribers.size;
  }

  appendClientEvent(init: ClientEventInit): PushEvent {
    const clientEvent = create(ClientEventSchema, {
      userId: init.userId,
      deviceSessionId: init.deviceSessionId ?? "",
      eventType: init.eventType,
      payloadBytes: utf8(JSON.stringify(init.payload ?? {})),
    });
    return this.append({ case: "clientEvent", value: clientEvent });
  }

  appendSessionInvalidation(init: SessionInvalidationInit): PushEvent {
    const invalidation = create(SessionInvalidationSchema, {
      userId: init.userId,
      deviceSessionId: init.deviceSessionId ?? "",
      reason: init.reason,
    });
    return this.append({ case: "sessionInvalidation", value: invalidation });
  }

  /**
   * Subscribes to live events, first queueing the logged events after `afterId` (undefined: live
   * only). Snapshot and registration happen synchronously, so nothing falls in between.
   * An `afterId` older than the log replays the whole log; one beyond the newest replays nothing.
   */
  subscribe(afterId: number | undefined): PushSubscription {
    const replay = afterId === undefined ? [] : this.events.filter((_, i) => this.idAt(i) > afterId);
    const subscription = new PushSubscription(replay, (s) => this.subscribers.delete(s));
    this.subscribers.add(subscription);
    return subscription;
  }

  private idAt(index: number): number {
    return this.lastId - this.events.length + 1 + index;
  }

  private append(kind: PushEvent["kind"]): PushEvent {
    this.lastId += 1;
    const event = create(PushEventSchema, { eventId: String(this.lastId), kind });
    this.events.push(event);
    if (this.events.length > PUSH_LOG_CAPACITY) this.events.shift();
    for (const s of this.subscribers) s.offer(event);
    return event;
  }
}

/** One subscriber's queue of events not yet taken by its stream. */
export class PushSubscription {
  private queue: PushEvent[];
  private waiter: (() => void) | undefined;
  private state: "open" | "closed" | "overflowed" = "open";

  constructor(
    replay: PushEvent[],
    private readonly unregister: (s: PushSubscription) => void,
  ) {
    this.queue = replay;
  }

  offer(event: PushEvent): void {
    if (this.state !== "open") return;
    if (this.queue.length >= MAX_PENDING_PER_SUBSCRIBER) {
      this.state = "overflowed";
      this.queue = [];
      this.unregister(this);
    } else {
      this.queue.push(event);
    }
    this.wake();
  }

  /** The next event; undefined once closed. Throws SubscriberOverflowError when cut off. */
  async next(): Promise<PushEvent | undefined> {
    for (;;) {
      if (this.state === "overflowed") throw new SubscriberOverflowError("push subscriber fell too far behind");
      if (this.state === "closed") return undefined;
      const event = this.queue.shift();
      if (event) return event;
      await new Promise<void>((resolve) => (this.waiter = resolve));
    }
  }

  close(): void {
    if (this.state === "open") this.state = "closed";
    this.queue = [];
    this.unregister(this);
    this.wake();
  }

  private wake(): void {
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.();
  }
}
