// GET /emulator/v1/status: what the gateway measures right now — its backend answering a health
// probe (and how fast), its push stream from the backend being up, the streams and journal it holds —
// so the console's Overview shows health as measured, never as assumed from a setting.
import { toBase64Url } from "../shared/bytes.js";
import type { EmulatorStatus } from "../shared/protocol.js";
import type { BackendRestClient } from "./backend/rest-client.js";
import type { LiveConfig } from "./config.js";
import type { Journal } from "./journal.js";

/**
 * The probe gives the backend 2 s: the Overview asks every few seconds, and a backend slower than
 * that on a health check is, for a person waiting on it, not answering.
 */
export const BACKEND_PROBE_DEADLINE_MS = 2_000;

export interface StatusDeps {
  config: LiveConfig;
  backend: BackendRestClient;
  journal: Journal;
  publicKey(): Uint8Array;
  now(): number;
  pushStream(): EmulatorStatus["push_stream"];
  openEventStreams(): number;
  ed25519: EmulatorStatus["ed25519"];
}

/** Numbers the mock backend's /healthz adds (users, sessions); a real backend's body may say nothing. */
function countsOf(body: Buffer): Pick<EmulatorStatus["backend_health"], "users" | "sessions"> {
  try {
    const json = JSON.parse(body.toString("utf8")) as Record<string, unknown>;
    const counts: Pick<EmulatorStatus["backend_health"], "users" | "sessions"> = {};
    if (Number.isSafeInteger(json.users)) counts.users = json.users as number;
    if (Number.isSafeInteger(json.sessions)) counts.sessions = json.sessions as number;
    return counts;
  } catch {
    return {};
  }
}

async function probeBackend(backend: BackendRestClient): Promise<EmulatorStatus["backend_health"]> {
  const started = performance.now();
  try {
    const reply = await backend.request("GET", "/healthz", { deadlineMs: BACKEND_PROBE_DEADLINE_MS });
    const latency_ms = Math.round((performance.now() - started) * 10) / 10;
    return { reachable: true, http_status: reply.status, latency_ms, ...(reply.status === 200 ? countsOf(reply.body) : {}) };
  } catch (err) {
    return { reachable: false, error: err instanceof Error ? err.message : String(err) };
  }
}

export async function emulatorStatus(deps: StatusDeps): Promise<EmulatorStatus> {
  const backend_health = await probeBackend(deps.backend);
  const config = deps.config.get();
  return {
    server_time_ms: deps.now(),
    freshness_window_ms: config.freshness_window_ms,
    response_signing_public_key: toBase64Url(deps.publicKey()),
    backend: config.backend,
    backend_health,
    push_stream: deps.pushStream(),
    open_event_streams: deps.openEventStreams(),
    journal: { entries: deps.journal.size, ...deps.journal.counts() },
    ed25519: deps.ed25519,
  };
}
