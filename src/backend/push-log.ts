// The backend's push event log: assigns increasing ids ("1", "2", …), keeps the newest
// PUSH_LOG_CAPACITY events for replay, and fans every new event out to all live subscribers.
// With persistence, an event is published (fanned out, visible to resumes) only once it is durable:
// a gateway never sees an id that a crash could hand out again.
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import {
  ClientEventSchema,
  PushEventSchema,
  SessionInvalidationSchema,
  type PushEvent,
} from "../shared/gen/galaxy/backend/v1/backend_push_pb.js";
import { utf8 } from "../shared/bytes.js";

export const PUSH_LOG_CAPACITY = 10_000;
/**
 * The newest events persisted, by encoded size (the whole state is rewritten on every change, so this
 * bounds the cost of a push). A gateway further behind than this when the backend crashes gets the
 * whole persisted log on resume, not the older events.
 */
export const PERSISTED_PUSH_LOG_BYTES = 1024 * 1024;
/** A subscriber further behind than this is cut off; it resumes from its last event id. */
export const MAX_PENDING_PER_SUBSCRIBER = 10_000;

export interface ClientEventInit {
  userId: string;
  /** Empty or omitted: every session of the user. */
  deviceSessionId?: string;
  eventType: string;
  payload?: unknown;
  /** The payload's bytes as they are (a replayed recording's non-JSON payload); else `payload` as JSON. */
  payloadBytes?: Uint8Array;
}

export interface SessionInvalidationInit {
  userId: string;
  deviceSessionId?: string;
  reason: string;
}

export class SubscriberOverflowError extends Error {}

/** The log's persisted form: the id counter and the retained events (binary PushEvent, base64). */
export interface PushLogState {
  last_id: number;
  events: string[];
}

export class PushLog {
  /** Ids are consecutive, so the entry for id N sits at index N - firstId. */
  private events: PushEvent[] = [];
  /** Base64 of each retained event's binary form, computed once (persistence writes them often). */
  private encoded: string[] = [];
  private lastId = 0;
  /** Highest id fanned out to subscribers; with persistence it trails lastId until the write lands. */
  private publishedId = 0;
  private unpublished: PushEvent[] = [];
  private readonly subscribers = new Set<PushSubscription>();

  /** `durable`: resolves once everything appended so far is persisted (absent: no persistence). */
  constructor(private readonly durable?: () => Promise<void>) {}

  get subscriberCount(): number {
    return this.subscribers.size;
  }

  toState(maxBytes = PERSISTED_PUSH_LOG_BYTES): PushLogState {
    // Without persistence nothing keeps the encoded forms: a state export encodes them now.
    const encoded = this.durable ? this.encoded : this.events.map(encodeEvent);
    let start = encoded.length;
    for (let bytes = 0; start > 0 && bytes + encoded[start - 1]!.length <= maxBytes; start--) bytes += encoded[start - 1]!.length;
    return { last_id: this.lastId, events: encoded.slice(start) };
  }

  /** Replaces the log with a persisted one (at start, before serving). */
  restore(state: PushLogState): void {
    this.events = state.events.map((b64) => fromBinary(PushEventSchema, Buffer.from(b64, "base64")));
    this.encoded = this.durable ? [...state.events] : [];
    const newest = this.events.at(-1);
    if (newest && Number(newest.eventId) !== state.last_id) throw new Error("push log: last_id does not match the newest event");
    this.lastId = state.last_id;
    this.publishedId = state.last_id;
    this.unpublished = [];
  }

  /**
   * Replaces the log while serving (a state import). Ids never go back: gateways resume and clients
   * dedupe by event id, so an id once handed out must not come again. A log behind this one's counter
   * therefore leaves the counter where it is and drops the imported events (they only served
   * resumes of the emulator they came from). Live subscribers stay and get what comes next.
   */
  replace(state: PushLogState): void {
    if (state.last_id >= this.lastId) return this.restore(state);
    this.events = [];
    this.encoded = [];
    this.unpublished = [];
    this.publishedId = this.lastId;
  }

  appendClientEvent(init: ClientEventInit): PushEvent {
    const clientEvent = create(ClientEventSchema, {
      userId: init.userId,
      deviceSessionId: init.deviceSessionId ?? "",
      eventType: init.eventType,
      payloadBytes: init.payloadBytes ?? utf8(JSON.stringify(init.payload ?? {})),
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
    const replay =
      afterId === undefined ? [] : this.events.filter((_, i) => this.idAt(i) > afterId && this.idAt(i) <= this.publishedId);
    const subscription = new PushSubscription(replay, (s) => this.subscribers.delete(s));
    this.subscribers.add(subscription);
    return subscription;
  }

  private idAt(index: number): number {
    return this.lastId - this.events.length + 1 + index;
  }

  private append(kind: PushEvent["kind"]): PushEvent {
    this.lastId += 1;
    const id = this.lastId;
    const event = create(PushEventSchema, { eventId: String(id), kind });
    this.events.push(event);
    if (this.durable) this.encoded.push(encodeEvent(event));
    if (this.events.length > PUSH_LOG_CAPACITY) {
      this.events.shift();
      if (this.durable) this.encoded.shift();
    }
    this.unpublished.push(event);
    if (!this.durable) {
      this.publish(id);
    } else {
      // Writes complete in order, so ids are published in order. A failed write is logged and the
      // event published anyway: the caller's request fails (router), but live streams stay consistent.
      this.durable().then(
        () => this.publish(id),
        (err: unknown) => {
          console.error("mock backend: push log not persisted", err);
          this.publish(id);
        },
      );
    }
    return event;
  }

  private publish(upTo: number): void {
    while (this.unpublished.length > 0 && Number(this.unpublished[0]!.eventId) <= upTo) {
      const event = this.unpublished.shift()!;
      this.publishedId = Number(event.eventId);
      for (const s of this.subscribers) s.offer(event);
    }
  }
}

/** An event's persisted form: its binary encoding, base64. */
function encodeEvent(event: PushEvent): string {
  return Buffer.from(toBinary(PushEventSchema, event)).toString("base64");
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
