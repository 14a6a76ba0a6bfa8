// The faults one gateway injects (§ Faults of issue 12): held in memory only (never persisted), one set
// per gateway (startGateway makes it), so two gateways in one process share nothing. Each call asks for
// the first fault of its target whose filters match it and whose draw hits; that fault is counted and,
// after `times` hits, removed.
import type { InjectedBackendFault } from "../backend/rest-client.js";
import { MAX_FAULTS, parseFaults, FaultError, type FaultSpec, type FaultTarget, type SubscribeFaultSpec } from "./fault-spec.js";
import { derivedSeed, SeededRandom } from "./prng.js";
import { timeoutAtLeast } from "../../node/timeout-at-least.js";

/** What a call is, for the filters: the fields a fault may name. */
export interface FaultSubject {
  messageType?: string;
  userId?: string;
  deviceSessionId?: string;
}

/** A fault as GET /emulator/v1/faults shows it: as given, plus its id, the seed its draws use, and its hits. */
export type FaultView = FaultSpec & { id: string; seed: number; hits: number };

interface HeldFault {
  id: string;
  spec: FaultSpec;
  seed: number;
  random: SeededRandom;
  hits: number;
}

/** One injection: the fault, and the latency drawn for this call (jitter applied). */
export interface FaultHit {
  id: string;
  spec: FaultSpec;
  latencyMs: number;
  /** For a subscribe fault: the stream's own draws (duplicate / drop), seeded from the fault's seed and the hit's ordinal. */
  streamRandom: SeededRandom;
}

export class FaultSet {
  private readonly faults = new Map<string, HeldFault>();
  private nextId = 1;
  private readonly listeners = new Set<() => void>();
  /** Aborted by close(): injected delays end at once, so none holds a shutdown. */
  private readonly closing = new AbortController();

  /** Validates one fault or an array and adds them all, or none (throws FaultError). Answers their ids. */
  add(value: unknown): string[] {
    const specs = this.parseAdditions(value);
    const out = specs.map((spec) => {
      // An id given again replaces that fault in its place; its count and draws start over.
      const id = spec.id ?? this.newId();
      const seed = spec.seed ?? (Math.random() * 0x1_0000_0000) >>> 0;
      this.faults.set(id, { id, spec, seed, random: new SeededRandom(seed), hits: 0 });
      return id;
    });
    this.changed();
    return out;
  }

  /**
   * What add() would make the set, as list() shows it (new faults with their ids and seeds, 0 hits), and
   * the new ids; changes nothing (cluster mode publishes it first, then applies it with replaceAll).
   * Throws FaultError as add() does.
   */
  withAdded(value: unknown): { ids: string[]; views: FaultView[] } {
    const specs = this.parseAdditions(value);
    const next = new Map(this.list().map((f) => [f.id, f]));
    let counter = this.nextId;
    const ids = specs.map((spec) => {
      let id = spec.id;
      if (id === undefined) {
        do id = `fault-${counter++}`;
        while (this.faults.has(id) || next.has(id));
      }
      const seed = spec.seed ?? (Math.random() * 0x1_0000_0000) >>> 0;
      next.set(id, { ...spec, id, seed, hits: 0 });
      return id;
    });
    return { ids, views: [...next.values()] };
  }

  /** Validates an addition (one fault or an array) against the held set; throws FaultError. */
  private parseAdditions(value: unknown): FaultSpec[] {
    const specs = parseFaults(value);
    const ids = specs.map((spec) => spec.id);
    const fresh = new Set(ids.filter((id): id is string => id !== undefined && !this.faults.has(id)));
    const added = specs.filter((s) => s.id === undefined).length + fresh.size;
    if (this.faults.size + added > MAX_FAULTS) throw new FaultError([], `at most ${MAX_FAULTS} faults at once (${this.faults.size} held)`);
    for (let i = 0; i < ids.length; i++) {
      if (ids[i] !== undefined && ids.indexOf(ids[i]) !== i) throw new FaultError([i, "id"], `"${ids[i]}" appears twice`);
    }
    return specs;
  }

  list(): FaultView[] {
    return [...this.faults.values()].map(view);
  }

  get(id: string): FaultView | undefined {
    const fault = this.faults.get(id);
    return fault && view(fault);
  }

  remove(id: string): boolean {
    const removed = this.faults.delete(id);
    if (removed) this.changed();
    return removed;
  }

  /** Removes every fault; answers how many there were. */
  clear(): number {
    const count = this.faults.size;
    this.faults.clear();
    if (count > 0) this.changed();
    return count;
  }

  /**
   * Makes the set exactly `views` (cluster mode: the faults another instance holds, cluster-control.ts).
   * A fault held already, unchanged (same id, spec and seed), keeps its draws and hits; the others
   * start over. Each instance draws and counts on its own, so `times` counts per instance.
   */
  replaceAll(views: readonly FaultView[]): void {
    const next = new Map<string, HeldFault>();
    for (const { hits: _hits, ...rest } of views) {
      const held = this.faults.get(rest.id);
      if (held && canonical({ ...view(held), hits: 0 }) === canonical({ ...rest, hits: 0 })) {
        next.set(rest.id, held);
        continue;
      }
      // Parsed without the seed a view always shows: an outage, for one, takes no seed as given.
      const { seed: _seed, ...given } = rest;
      const spec = parseFaults(given)[0]!;
      next.set(rest.id, { id: rest.id, spec, seed: rest.seed, random: new SeededRandom(rest.seed), hits: 0 });
    }
    // Numbers past every generated id held: an id once given is not handed out again for another fault.
    for (const id of next.keys()) {
      const n = /^fault-(\d{1,9})$/.exec(id);
      if (n) this.nextId = Math.max(this.nextId, Number(n[1]) + 1);
    }
    this.faults.clear();
    for (const [id, fault] of next) this.faults.set(id, fault);
    this.changed();
  }

  /** Called after every change (add, remove, a fault used up): the push dispatcher follows outages. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * The first fault of `target` (oldest first) whose filters all match `subject` and whose draw hits:
   * counted, removed once it has hit `times` times. Outages are not hit this way (see outage()).
   */
  hit(target: FaultTarget, subject: FaultSubject): FaultHit | undefined {
    if (this.faults.size === 0) return undefined; // the usual case: every call asks
    for (const fault of this.faults.values()) {
      const spec = fault.spec;
      if (spec.target !== target || (spec.target === "backend" && spec.outage)) continue;
      if (!matches(spec, subject)) continue;
      if (spec.probability !== undefined && !fault.random.chance(spec.probability)) continue;
      fault.hits++;
      const jitter = spec.jitter_ms ? Math.round((fault.random.next() * 2 - 1) * spec.jitter_ms) : 0;
      const hit: FaultHit = {
        id: fault.id,
        spec,
        latencyMs: Math.max(0, (spec.latency_ms ?? 0) + jitter),
        streamRandom: new SeededRandom(derivedSeed(fault.seed, fault.hits)),
      };
      if (spec.times !== undefined && fault.hits >= spec.times) this.remove(fault.id);
      return hit;
    }
    return undefined;
  }

  /** The id of the outage fault taking the backend link down now, if there is one. */
  outage(): string | undefined {
    if (this.faults.size === 0) return undefined;
    for (const fault of this.faults.values()) if (fault.spec.target === "backend" && fault.spec.outage) return fault.id;
    return undefined;
  }

  /**
   * The backend client's hook (rest-client.ts): the fault injected into one REST call. The emulator's
   * own endpoints on the mock (/emulator/…: mailbox, push, reset) are exempt, so a test can still push
   * or read the mailbox during an outage: they are tooling, not the link a game client depends on.
   */
  backendFault(path: string, subject: FaultSubject): InjectedBackendFault | undefined {
    if (path.startsWith("/emulator/")) return undefined;
    const down = this.outage();
    if (down) return { id: down, refused: true, delayMs: 0 };
    const hit = this.hit("backend", subject);
    if (!hit || hit.spec.target !== "backend") return undefined;
    return { id: hit.id, delayMs: hit.latencyMs, status: hit.spec.status };
  }

  /** Waits `ms` (an injected latency); ends early when `signal` aborts or the gateway closes. */
  delay(ms: number, signal?: AbortSignal): Promise<void> {
    const stop = signal ? AbortSignal.any([signal, this.closing.signal]) : this.closing.signal;
    return new Promise((resolve) => {
      if (stop.aborted) return resolve();
      const done = () => {
        cancel();
        stop.removeEventListener("abort", done);
        resolve();
      };
      const cancel = timeoutAtLeast(ms, done);
      stop.addEventListener("abort", done, { once: true });
    });
  }

  /** Shutdown: injected delays end now. */
  close(): void {
    this.closing.abort();
  }

  get size(): number {
    return this.faults.size;
  }

  private newId(): string {
    let id: string;
    do id = `fault-${this.nextId++}`;
    while (this.faults.has(id));
    return id;
  }

  private changed(): void {
    for (const listener of this.listeners) listener();
  }
}

/** JSON with object keys sorted: the same fault compares equal whatever order its keys travelled in. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === "object" && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v,
  );
}

function view(f: HeldFault): FaultView {
  return { ...f.spec, id: f.id, seed: f.seed, hits: f.hits };
}

function matches(spec: FaultSpec, subject: FaultSubject): boolean {
  if ("message_type" in spec && spec.message_type !== undefined && spec.message_type !== subject.messageType) return false;
  if (spec.user_id !== undefined && spec.user_id !== subject.userId) return false;
  if (spec.device_session_id !== undefined && spec.device_session_id !== subject.deviceSessionId) return false;
  return true;
}

/** A subscribe fault's effect on one stream: which pushed events are dropped or doubled, and when it is cut. */
export class StreamFault {
  private sent = 0;

  constructor(
    readonly id: string,
    private readonly spec: SubscribeFaultSpec,
    private readonly random: SeededRandom,
  ) {}

  /** Copies of the next pushed event to send: 0 (dropped), 1, or 2 (doubled, same event id). Two draws per event, always. */
  copies(): 0 | 1 | 2 {
    const drop = this.random.next() < (this.spec.drop_events ?? 0);
    const double = this.random.next() < (this.spec.duplicate_events ?? 0);
    return drop ? 0 : double ? 2 : 1;
  }

  /** Counts one pushed event sent (a doubled one counts twice; server_time does not count). */
  sentOne(): void {
    this.sent++;
  }

  /** How the stream is cut instead of sending one more event, once `cut_after_events` have been sent. */
  cutDue(): "unavailable" | "reset" | undefined {
    const after = this.spec.cut_after_events;
    return after !== undefined && this.sent >= after ? (this.spec.cut_with ?? "unavailable") : undefined;
  }
}
