// The emulator control plane (PROTOCOL.md §7 and the additions in docs/ARCHITECTURE.md).
import type { EmulatorConfig, JournalEntry, MailboxMessage, PushInjection } from "../../shared/protocol.js";
import type { JsonHttp } from "./http.js";

export interface ControlPlane {
  getMailbox(email?: string, signal?: AbortSignal): Promise<MailboxMessage[]>;
  injectPush(injection: PushInjection): Promise<{ event_id: string }>;
  /** Long-polls the journal: returns at once when entries past `after` exist, else waits up to waitMs. */
  getJournal(after: number, waitMs: number, signal?: AbortSignal): Promise<JournalEntry[]>;
  getConfig(): Promise<EmulatorConfig>;
  patchConfig(patch: Record<string, unknown>): Promise<EmulatorConfig>;
  reset(): Promise<unknown>;
  rotateGatewayKey(): Promise<{ response_signing_public_key: string }>;
  /** Whether the configured backend answers at all (`reachable`), and if not, why. */
  getBackendHealth(signal?: AbortSignal): Promise<BackendHealth>;
}

export interface BackendHealth {
  backend: string;
  reachable: boolean;
  status?: number;
  ms?: number;
  message?: string;
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
    getConfig: () => http.requestJson("GET", "/emulator/v1/config", undefined, auth),
    patchConfig: (patch) => http.requestJson("PATCH", "/emulator/v1/config", patch, auth),
    reset: () => http.requestJson("POST", "/emulator/v1/reset", {}, auth),
    rotateGatewayKey: () => http.requestJson("POST", "/emulator/v1/gateway-key/rotate", {}, auth),
    getBackendHealth: (signal) => http.requestJson("GET", "/emulator/v1/backend/health", undefined, withSignal(signal)),
  };
}
