// The stub mappings of one mock backend, the scenario states and the per-mapping match counts: adding
// (all or nothing, bounded), listing, deleting, choosing the mapping that answers a call (lowest
// priority, then newest) or the nearest one when none does, and the persisted form.
import { compareString, compareValue, type Differences } from "./matcher.js";
import { compileMapping, STARTED, type CompiledMapping, type StubMapping } from "./mapping.js";

/**
 * Most mappings kept. Every call of a stubbed type compares it with that type's mappings one by one,
 * and the console lists them all; a thousand is more than a game's commands need.
 */
export const MAX_STUBS = 1_000;
/**
 * Largest total size of the mappings (as JSON). The state file is rewritten whole on every change
 * (persistence.ts), and GET /emulator/v1/stubs must fit the gateway's 1 MiB cap on a backend answer
 * (rest-client.ts) with room for the counts: 256 KiB keeps both cheap.
 */
export const MAX_STUBS_BYTES = 256 * 1024;

/** A mapping as GET lists it. */
export type StubView = StubMapping & { matched_count: number };

interface StoredStub extends CompiledMapping {
  /** Order of addition: among equal priorities the newest wins. */
  seq: number;
  matchedCount: number;
  bytes: number;
}

/** What a call of a stubbed message type tells the store. */
export interface CallFacts {
  payload: unknown;
  user_id: string;
  email: string;
  device_session_id: string;
}

export type Selection =
  | { kind: "unstubbed" }
  | { kind: "matched"; stub: StoredStubHandle }
  | { kind: "missed"; nearestId: string; differsAt: string };

/** A matched mapping, to be committed once the answer is ready (see StubStore.commit). */
export interface StoredStubHandle {
  readonly mapping: StubMapping;
  /** What `{{counter}}` renders for this call: the match count once this call is counted. */
  readonly counter: number;
}

/** The persisted form (in the mock backend's state file, persistence.ts). */
export interface StubsState {
  next_seq: number;
  stubs: { mapping: StubMapping; seq: number; matched_count: number }[];
  /** Scenarios that left `Started`. */
  scenarios: Record<string, string>;
}

export class StubLimitError extends Error {}

export class StubStore {
  private readonly stubs = new Map<string, StoredStub>();
  /** Per message type, in the order calls try them: priority, then newest first. */
  private byType = new Map<string, StoredStub[]>();
  private readonly scenarios = new Map<string, string>();
  private nextSeq = 1;
  private bytes = 0;

  /**
   * Adds mappings, replacing any with the same id (its count starts over). All or nothing: throws
   * StubLimitError, leaving the store as it was, if the result would pass MAX_STUBS or MAX_STUBS_BYTES.
   */
  add(mappings: readonly CompiledMapping[]): string[] {
    const incoming = new Map(mappings.map((m) => [m.mapping.id, m])); // a repeated id: the last one wins
    let count = this.stubs.size;
    let bytes = this.bytes;
    const sizes = new Map<string, number>();
    for (const [id, m] of incoming) {
      const old = this.stubs.get(id);
      const size = Buffer.byteLength(JSON.stringify(m.mapping));
      sizes.set(id, size);
      count += old ? 0 : 1;
      bytes += size - (old?.bytes ?? 0);
    }
    if (count > MAX_STUBS) throw new StubLimitError(`at most ${MAX_STUBS} stubs (there would be ${count})`);
    if (bytes > MAX_STUBS_BYTES) throw new StubLimitError(`the stubs would take ${bytes} bytes as JSON, more than ${MAX_STUBS_BYTES}`);
    for (const [id, m] of incoming) this.stubs.set(id, { ...m, seq: this.nextSeq++, matchedCount: 0, bytes: sizes.get(id)! });
    this.bytes = bytes;
    this.reindex();
    return mappings.map((m) => m.mapping.id);
  }

  /**
   * The mappings of `mappings` that differ from what is held under their id (a `--stubs` file read
   * again at a restart): the unchanged ones keep their count, order and scenario, so a restart with the
   * same folder changes nothing, while an edited file replaces its mapping.
   */
  changed(mappings: readonly CompiledMapping[]): CompiledMapping[] {
    return mappings.filter((m) => {
      const held = this.stubs.get(m.mapping.id);
      return !held || JSON.stringify(held.mapping) !== JSON.stringify(m.mapping);
    });
  }

  list(): StubView[] {
    return [...this.stubs.values()].sort((a, b) => a.seq - b.seq).map(view);
  }

  get(id: string): StubView | undefined {
    const stub = this.stubs.get(id);
    return stub && view(stub);
  }

  delete(id: string): boolean {
    const stub = this.stubs.get(id);
    if (!stub) return false;
    this.stubs.delete(id);
    this.bytes -= stub.bytes;
    this.reindex();
    return true;
  }

  /** Removes every mapping and scenario state; answers how many mappings there were. */
  clear(): number {
    const n = this.stubs.size;
    this.stubs.clear();
    this.scenarios.clear();
    this.bytes = 0;
    this.reindex();
    return n;
  }

  /** The message types that have at least one mapping (the gateway routes them to the mock). */
  types(): string[] {
    return [...this.byType.keys()].sort();
  }

  hasType(messageType: string): boolean {
    return this.byType.has(messageType);
  }

  scenarioStates(): { name: string; state: string }[] {
    const names = new Set<string>();
    for (const s of this.stubs.values()) if (s.mapping.scenario) names.add(s.mapping.scenario.name);
    return [...names].sort().map((name) => ({ name, state: this.scenarioState(name) }));
  }

  resetScenarios(): void {
    this.scenarios.clear();
  }

  /** The mapping that answers this call, the nearest one when none does, or none for an unstubbed type. */
  select(messageType: string, facts: CallFacts): Selection {
    const candidates = this.byType.get(messageType);
    if (!candidates) return { kind: "unstubbed" };
    let nearest: { stub: StoredStub; diff: Differences } | undefined;
    for (const stub of candidates) {
      const diff = this.compare(stub, facts);
      if (diff.count === 0) return { kind: "matched", stub: { mapping: stub.mapping, counter: stub.matchedCount + 1 } };
      if (!nearest || diff.same > nearest.diff.same || (diff.same === nearest.diff.same && diff.count < nearest.diff.count)) nearest = { stub, diff };
    }
    return { kind: "missed", nearestId: nearest!.stub.mapping.id, differsAt: nearest!.diff.first! };
  }

  /** Counts the match and moves its scenario on (the call is being answered by it). */
  commit(handle: StoredStubHandle): void {
    const stub = this.stubs.get(handle.mapping.id);
    // Replaced or deleted while the answer was rendered: the old mapping answered; nothing to count.
    if (stub?.mapping !== handle.mapping) return;
    stub.matchedCount++;
    const scenario = stub.mapping.scenario;
    if (scenario?.new_state !== undefined) this.setScenario(scenario.name, scenario.new_state);
  }

  toState(): StubsState {
    return {
      next_seq: this.nextSeq,
      stubs: [...this.stubs.values()].map((s) => ({ mapping: s.mapping, seq: s.seq, matched_count: s.matchedCount })),
      scenarios: Object.fromEntries(this.scenarios),
    };
  }

  /** Replaces everything with a persisted state (at start); a mapping that no longer validates throws. */
  restore(state: StubsState): void {
    this.clear();
    for (const saved of state.stubs) {
      const compiled = compileMapping(saved.mapping, `state stub ${JSON.stringify(saved.mapping.id)} $`, () => saved.mapping.id);
      const bytes = Buffer.byteLength(JSON.stringify(compiled.mapping));
      this.stubs.set(compiled.mapping.id, { ...compiled, seq: saved.seq, matchedCount: saved.matched_count, bytes });
      this.bytes += bytes;
    }
    for (const [name, st] of Object.entries(state.scenarios)) this.scenarios.set(name, st);
    this.nextSeq = Math.max(state.next_seq, ...state.stubs.map((s) => s.seq + 1), 1);
    this.reindex();
  }

  private compare(stub: StoredStub, facts: CallFacts): Differences {
    const diff: Differences = { same: 0, count: 0 };
    if (stub.user_id) compareString(stub.user_id, facts.user_id, "user_id", diff);
    if (stub.email) compareString(stub.email, facts.email, "email", diff);
    if (stub.device_session_id) compareString(stub.device_session_id, facts.device_session_id, "device_session_id", diff);
    if (stub.payload) compareValue(stub.payload, facts.payload, "payload", diff);
    const scenario = stub.mapping.scenario;
    if (scenario?.required_state !== undefined) {
      if (this.scenarioState(scenario.name) === scenario.required_state) diff.same++;
      else {
        diff.count++;
        diff.first ??= "scenario";
      }
    }
    return diff;
  }

  private scenarioState(name: string): string {
    return this.scenarios.get(name) ?? STARTED;
  }

  private setScenario(name: string, state: string): void {
    // Only states that differ from Started are kept, so the map never outgrows the mappings' names.
    if (state === STARTED) this.scenarios.delete(name);
    else this.scenarios.set(name, state);
  }

  private reindex(): void {
    const byType = new Map<string, StoredStub[]>();
    for (const stub of this.stubs.values()) {
      const list = byType.get(stub.mapping.message_type);
      if (list) list.push(stub);
      else byType.set(stub.mapping.message_type, [stub]);
    }
    for (const list of byType.values()) list.sort((a, b) => a.mapping.priority - b.mapping.priority || b.seq - a.seq);
    this.byType = byType;
    // Scenario states of names no mapping uses any more are dropped: the map stays bounded by the mappings.
    const names = new Set([...this.stubs.values()].flatMap((s) => (s.mapping.scenario ? [s.mapping.scenario.name] : [])));
    for (const name of this.scenarios.keys()) if (!names.has(name)) this.scenarios.delete(name);
  }
}

function view(stub: StoredStub): StubView {
  return { ...stub.mapping, matched_count: stub.matchedCount };
}
