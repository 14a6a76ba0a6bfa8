// The emulator control plane (PROTOCOL.md §7 and the additions in docs/ARCHITECTURE.md).
import type { EmulatorConfig, EmulatorStatus, JournalEntry, MailboxMessage, PushInjection, RecordingState } from "../../shared/protocol.js";
import type { JsonHttp } from "./http.js";

export interface ControlPlane {
  getMailbox(email?: string, signal?: AbortSignal): Promise<MailboxMessage[]>;
  injectPush(injection: PushInjection): Promise<{ event_id: string }>;
  /** Long-polls the journal: returns at once when entries past `after` exist, else waits up to waitMs. */
  getJournal(after: number, waitMs: number, signal?: AbortSignal): Promise<JournalEntry[]>;
  /** Every entry the gateway's journal holds, oldest first (read page by page). */
  getWholeJournal(): Promise<JournalEntry[]>;
  /** Empties the gateway's journal (DELETE /emulator/v1/journal). */
  clearJournal(): Promise<unknown>;
  /** What the gateway measures of itself, its backend and its push stream. */
  getStatus(signal?: AbortSignal): Promise<EmulatorStatus>;
  /** Recording (`--record`), playing back (`--playback`) or neither. */
  getRecording(signal?: AbortSignal): Promise<RecordingState>;
  stopRecording(): Promise<RecordingState>;
  replayPushes(timing: "original" | "fast"): Promise<unknown>;
  getConfig(): Promise<EmulatorConfig>;
  patchConfig(patch: Record<string, unknown>): Promise<EmulatorConfig>;
  reset(): Promise<unknown>;
  rotateGatewayKey(): Promise<{ response_signing_public_key: string }>;
  /** The mock backend's stub mappings (README "Your own game"), each with how many calls it matched. */
  listStubs(): Promise<StubView[]>;
  /** Adds one mapping or an array (all or none); an existing id is replaced. A bad one: HttpError 400 whose message starts with the JSON path. */
  saveStubs(mappings: unknown): Promise<{ ids: string[] }>;
  deleteStub(id: string): Promise<unknown>;
  listScenarios(): Promise<ScenarioState[]>;
  /** Puts every scenario back in `Started`. */
  resetScenarios(): Promise<unknown>;
  listFaults(): Promise<FaultView[]>;
  /** Adds one fault; an existing id is replaced (its hits start over). A bad one: HttpError 400 naming the JSON path. */
  addFault(fault: Record<string, unknown>): Promise<{ id: string }>;
  deleteFault(id: string): Promise<unknown>;
}

/** A stub mapping as `GET /emulator/v1/stubs` lists it: the mapping with its defaults, plus its count. */
export interface StubView {
  id: string;
  message_type: string;
  priority: number;
  matched_count: number;
  scenario?: { name: string; required_state?: string; new_state?: string };
  [field: string]: unknown;
}

export interface ScenarioState {
  name: string;
  state: string;
}

/** A fault as `GET /emulator/v1/faults` lists it: as given, plus its id, the seed its draws use and its hits. */
export interface FaultView {
  id: string;
  target: "execute" | "backend" | "subscribe";
  seed: number;
  hits: number;
  [field: string]: unknown;
}

/** Whether the configured backend answers at all (`reachable`), and if not, why. */
export interface BackendHealth {
  backend: string;
  reachable: boolean;
  status?: number;
  ms?: number;
  message?: string;
}

/** The header's view of `GET /emulator/v1/status`'s backend probe (one probe serves Overview and header). */
export function backendHealthOf(status: EmulatorStatus): BackendHealth {
  const h = status.backend_health;
  return {
    backend: status.backend,
    reachable: h.reachable,
    ...(h.http_status !== undefined ? { status: h.http_status } : {}),
    ...(h.latency_ms !== undefined ? { ms: h.latency_ms } : {}),
    ...(h.reachable ? {} : { message: `not reachable (${h.error ?? "no answer"})` }),
  };
}

export function createControlPlane(http: JsonHttp): ControlPlane {
  const auth = { auth: true };
  const withSignal = (signal?: AbortSignal) => ({ ...auth, ...(signal ? { signal } : {}) });
  return {
    async getMailbox(email, signal) {
      const q = email ? `?email=${encodeURIComponent(email)}` : "";
      const body = await http.requestJson<{ messages: MailboxMessage[] }>("GET", `/emulator/v1/mailbox${q}`, undefined, withSignal(signal));
      return body.messages ?? [];
    },
    injectPush: (injection) => http.requestJson("POST", "/emulator/v1/push", injection, auth),
    async getJournal(after, waitMs, signal) {
      const path = `/emulator/v1/journal?after=${after}&wait_ms=${waitMs}`;
      const body = await http.requestJson<{ entries: JournalEntry[] }>("GET", path, undefined, withSignal(signal));
      return body.entries ?? [];
    },
    async getWholeJournal() {
      const all: JournalEntry[] = [];
      // Pages of up to 1,000 (the gateway's page size); the journal holds at most 5,000, so ≤ 6 requests.
      for (;;) {
        const after = all.at(-1)?.seq ?? 0;
        const body = await http.requestJson<{ entries: JournalEntry[] }>("GET", `/emulator/v1/journal?after=${after}`, undefined, auth);
        if (!body.entries?.length) return all;
        all.push(...body.entries);
      }
    },
    clearJournal: () => http.requestJson("DELETE", "/emulator/v1/journal", undefined, auth),
    getStatus: (signal) => http.requestJson("GET", "/emulator/v1/status", undefined, withSignal(signal)),
    getRecording: (signal) => http.requestJson("GET", "/emulator/v1/recording", undefined, withSignal(signal)),
    stopRecording: () => http.requestJson("POST", "/emulator/v1/recording/stop", {}, auth),
    replayPushes: (timing) => http.requestJson("POST", "/emulator/v1/recording/replay-pushes", { timing }, auth),
    getConfig: () => http.requestJson("GET", "/emulator/v1/config", undefined, auth),
    patchConfig: (patch) => http.requestJson("PATCH", "/emulator/v1/config", patch, auth),
    reset: () => http.requestJson("POST", "/emulator/v1/reset", {}, auth),
    rotateGatewayKey: () => http.requestJson("POST", "/emulator/v1/gateway-key/rotate", {}, auth),
    listStubs: async () => (await http.requestJson<{ stubs?: StubView[] }>("GET", "/emulator/v1/stubs", undefined, auth)).stubs ?? [],
    saveStubs: (mappings) => http.requestJson("POST", "/emulator/v1/stubs", mappings, auth),
    deleteStub: (id) => http.requestJson("DELETE", `/emulator/v1/stubs/${encodeURIComponent(id)}`, undefined, auth),
    listScenarios: async () => (await http.requestJson<{ scenarios?: ScenarioState[] }>("GET", "/emulator/v1/scenarios", undefined, auth)).scenarios ?? [],
    resetScenarios: () => http.requestJson("POST", "/emulator/v1/scenarios/reset", {}, auth),
    listFaults: async () => (await http.requestJson<{ faults?: FaultView[] }>("GET", "/emulator/v1/faults", undefined, auth)).faults ?? [],
    addFault: (fault) => http.requestJson("POST", "/emulator/v1/faults", fault, auth),
    deleteFault: (id) => http.requestJson("DELETE", `/emulator/v1/faults/${encodeURIComponent(id)}`, undefined, auth),
  };
}
