// A stub's pushes, sent through the mock backend's push log (so they travel the backend push stream to
// the gateway like every other event). Each user has one queue: a push is due `delay_ms` after it was
// scheduled but never before the pushes queued for that user ahead of it, so order is kept per
// recipient and every delay is a lower bound. Pending pushes are bounded, and are not persisted: a
// restart drops the ones not yet sent.
import type { PushLog } from "../push-log.js";

/**
 * Most pushes waiting for their delay, over all users. Each holds a rendered payload of up to 64 KiB
 * (template.ts), so this bounds what delayed pushes can hold to 64 MiB in the worst case; a game that
 * models "later" needs a few per player, and a test a few dozen.
 */
export const MAX_PENDING_PUSHES = 1_000;

export interface ScheduledPush {
  userId: string;
  /** Absent: every session of the user. */
  deviceSessionId?: string;
  eventType: string;
  payload: unknown;
  delayMs: number;
}

interface Pending {
  dueAt: number;
  push: ScheduledPush;
}

export class PendingPushesFullError extends Error {}

export class PushScheduler {
  private readonly queues = new Map<string, { items: Pending[]; timer?: NodeJS.Timeout }>();
  private pending = 0;

  constructor(
    private readonly log: PushLog,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Schedules the pushes in order. All or nothing: throws PendingPushesFullError (nothing scheduled)
   * if the ones that must wait would pass MAX_PENDING_PUSHES.
   */
  schedule(pushes: readonly ScheduledPush[]): void {
    const now = this.now();
    const waiting = pushes.filter((p) => p.delayMs > 0 || (this.queues.get(p.userId)?.items.length ?? 0) > 0).length;
    if (this.pending + waiting > MAX_PENDING_PUSHES) {
      throw new PendingPushesFullError(`more than ${MAX_PENDING_PUSHES} stub pushes would be waiting for their delay`);
    }
    for (const push of pushes) {
      const queue = this.queues.get(push.userId);
      if (!queue && push.delayMs === 0) {
        this.send(push);
        continue;
      }
      const last = queue?.items.at(-1)?.dueAt ?? 0;
      const entry = { dueAt: Math.max(now + push.delayMs, last), push };
      this.pending++;
      if (queue) queue.items.push(entry);
      else {
        this.queues.set(push.userId, { items: [entry] });
        this.arm(push.userId);
      }
    }
  }

  /** Drops every pending push (reset, shutdown). */
  clear(): void {
    for (const queue of this.queues.values()) clearTimeout(queue.timer);
    this.queues.clear();
    this.pending = 0;
  }

  private arm(userId: string): void {
    const queue = this.queues.get(userId)!;
    const head = queue.items[0]!;
    queue.timer = setTimeout(() => this.fire(userId), Math.max(0, head.dueAt - this.now()));
  }

  /** Sends every push of the queue that is due, in order, then waits for the next one. */
  private fire(userId: string): void {
    const queue = this.queues.get(userId);
    if (!queue) return;
    const now = this.now();
    while (queue.items.length > 0 && queue.items[0]!.dueAt <= now) {
      this.pending--;
      this.send(queue.items.shift()!.push);
    }
    if (queue.items.length === 0) this.queues.delete(userId);
    else this.arm(userId);
  }

  private send(push: ScheduledPush): void {
    this.log.appendClientEvent({ userId: push.userId, deviceSessionId: push.deviceSessionId, eventType: push.eventType, payload: push.payload });
  }
}
