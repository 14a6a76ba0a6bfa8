// The replay store: the (device_session_id, request_id) pairs the gateway has let through, each held
// with the request's own timestamp_ms, plus a horizon: the newest timestamp the store has let go of.
//
// Why a horizon (issue 10.3): the freshness window and the clock offset are live settings, so a
// timestamp that is stale now can become fresh again later (a wider window, an offset moved back).
// A reservation that simply expired after "2 × the window at arrival" was then gone while its request
// was acceptable again, and the same signed request executed twice. Here every reservation the store
// drops has a timestamp at or below the horizon, and `reserve` refuses any timestamp at or below it:
// a request the store no longer remembers can never pass again, whatever the config does later.
//
// Reservations are dropped oldest timestamp first (a binary min-heap on timestamp_ms): once their
// timestamp is `retainMs` (2 × the window) behind the gateway clock, a few per call; or when the store
// is full. In the steady state the horizon therefore trails the clock by 2 windows and never touches a
// fresh request; only right after the window is raised or the clock offset moved back (or under a
// flood that fills the store) does it refuse timestamps the window alone would accept.
/** About 146 bytes of heap each (bench `replay.bytes_per_entry`): at most ~290 MB when full. */
export const DEFAULT_REPLAY_CAPACITY = 2_000_000;

/**
 * Expired reservations dropped per call: more than the one a call adds, so the store drains after a
 * burst without a timer, yet a call never pays for a long backlog at once.
 */
const SWEEP_PER_CALL = 2;

export type Reservation =
  /** First use: now reserved. */
  | "reserved"
  /** The pair is reserved already. */
  | "replayed"
  /** The timestamp is at or below the horizon: the store may have forgotten this very request. */
  | "beyond_horizon";

/**
 * What the replay stage needs of a store: the in-memory ReplayStore below (the default), or the
 * Redis one of cluster mode (redis/replay-guard.ts), which answers asynchronously and rejects with
 * StoreUnavailableError when Redis cannot be reached (the stage then fails closed).
 */
export interface ReplayGuard {
  reserve(deviceSessionId: string, requestId: string, timestampMs: number, nowMs: number, retainMs: number): Reservation | Promise<Reservation>;
  /** The horizon as last seen (for the rejection's message). */
  readonly horizonMs: number;
  /** Forgets every reservation, raising the horizon over all of them (see ReplayStore.clear). */
  clear(): void | Promise<void>;
}

export class ReplayStore implements ReplayGuard {
  private readonly held = new Set<string>();
  /** Min-heap of the held keys by timestamp: keys[i] was reserved with times[i]. */
  private readonly keys: string[] = [];
  private readonly times: number[] = [];
  private horizon = -Infinity;

  /**
   * `initialHorizonMs`: nothing at or below it passes. A gateway starts it at its own clock, because
   * reservations live in memory while device sessions outlive a restart (state dir, real backend): a
   * request captured before the restart must not execute again after it (docs/SECURITY.md).
   */
  constructor(
    private readonly capacity = DEFAULT_REPLAY_CAPACITY,
    initialHorizonMs = -Infinity,
  ) {
    this.horizon = initialHorizonMs;
  }

  /**
   * Reserves (deviceSessionId, requestId) for a request signed at `timestampMs`, arriving at `nowMs`
   * on the gateway clock; reservations older than `retainMs` before `nowMs` may be dropped first.
   */
  reserve(deviceSessionId: string, requestId: string, timestampMs: number, nowMs: number, retainMs: number): Reservation {
    this.sweep(nowMs - retainMs);
    // "\n" cannot occur in either id (the envelope stage checks both), so the key is unambiguous.
    const key = `${deviceSessionId}\n${requestId}`;
    if (this.held.has(key)) return "replayed";
    if (timestampMs <= this.horizon) return "beyond_horizon";
    this.held.add(key);
    this.push(key, timestampMs);
    // Full: the oldest timestamp goes (possibly this one: it passes now, and can never pass again).
    if (this.held.size > this.capacity) this.dropOldest();
    return "reserved";
  }

  get size(): number {
    return this.held.size;
  }

  /** The newest timestamp dropped so far (-Infinity before the first): nothing at or below it passes. */
  get horizonMs(): number {
    return this.horizon;
  }

  /**
   * Forgets every reservation (`POST /emulator/v1/reset`) but raises the horizon over all of them:
   * a reset does not end the sessions of a backend given by URL (it has no reset), and even the
   * mock's reset is answered after this runs, so a forgotten request could otherwise pass again.
   */
  clear(): void {
    for (const time of this.times) if (time > this.horizon) this.horizon = time;
    this.held.clear();
    this.keys.length = 0;
    this.times.length = 0;
  }

  private sweep(cutoffMs: number): void {
    for (let n = 0; n < SWEEP_PER_CALL && this.keys.length > 0 && this.times[0]! < cutoffMs; n++) this.dropOldest();
  }

  private dropOldest(): void {
    const key = this.keys[0]!;
    // The heap pops in timestamp order, so the horizon only ever rises.
    this.horizon = this.times[0]!;
    this.held.delete(key);
    const lastKey = this.keys.pop()!;
    const lastTime = this.times.pop()!;
    if (this.keys.length > 0) this.siftDown(lastKey, lastTime);
  }

  private push(key: string, time: number): void {
    let i = this.keys.length;
    this.keys.push(key);
    this.times.push(time);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (this.times[parent]! <= time) break;
      this.keys[i] = this.keys[parent]!;
      this.times[i] = this.times[parent]!;
      i = parent;
    }
    this.keys[i] = key;
    this.times[i] = time;
  }

  /** Places (key, time) from the root down, where the root's entry was just removed. */
  private siftDown(key: string, time: number): void {
    const n = this.keys.length;
    let i = 0;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= n) break;
      if (child + 1 < n && this.times[child + 1]! < this.times[child]!) child++;
      if (this.times[child]! >= time) break;
      this.keys[i] = this.keys[child]!;
      this.times[i] = this.times[child]!;
      i = child;
    }
    this.keys[i] = key;
    this.times[i] = time;
  }
}
