// The emulator control plane (PROTOCOL.md §7 and the additions in docs/ARCHITECTURE.md).
import type { EmulatorConfig, JournalEntry, MailboxMessage, PushInjection } from "../../shared/protocol.js";
import { requestJson } from "./http.js";

const auth = { auth: true };

export async function getMailbox(email?: string, signal?: AbortSignal): Promise<MailboxMessage[]> {
  const q = email ? `?email=${encodeURIComponent(email)}` : "";
  const body = await requestJson<{ messages: MailboxMessage[] }>("GET", `/emulator/v1/mailbox${q}`, undefined, {
    ...auth,
    ...(signal ? { signal } : {}),
  });
  return body.messages ?? [];
}

export function injectPush(injection: PushInjection): Promise<{ event_id: string }> {
  return requestJson("POST", "/emulator/v1/push", injection, auth);
}

/** Long-polls the journal: returns at once when entries past `after` exist, else waits up to waitMs. */
export async function getJournal(after: number, waitMs: number, signal?: AbortSignal): Promise<JournalEntry[]> {
  const body = await requestJson<{ entries: JournalEntry[] }>(
    "GET",
    `/emulator/v1/journal?after=${after}&wait_ms=${waitMs}`,
    undefined,
    { ...auth, ...(signal ? { signal } : {}) },
  );
  return body.entries ?? [];
}

export function getConfig(): Promise<EmulatorConfig> {
  return requestJson("GET", "/emulator/v1/config", undefined, auth);
}

export function patchConfig(patch: Record<string, unknown>): Promise<EmulatorConfig> {
  return requestJson("PATCH", "/emulator/v1/config", patch, auth);
}

export function resetEmulator(): Promise<unknown> {
  return requestJson("POST", "/emulator/v1/reset", {}, auth);
}

export function rotateGatewayKey(): Promise<{ response_signing_public_key: string }> {
  return requestJson("POST", "/emulator/v1/gateway-key/rotate", {}, auth);
}
