// The emulator control plane (PROTOCOL.md §7, ARCHITECTURE.md additions, issue 12's stubs and faults)
// as typed calls: JSON over the global fetch, the access token sent when there is one, and every
// non-2xx answer thrown as a ControlPlaneError carrying the `{"error":{"code","message"}}` body.
import type { EmulatorConfig, JournalEntry, MailboxMessage, PushInjection } from "../shared/protocol.js";

export class ControlPlaneError extends Error {
  override readonly name = "ControlPlaneError";
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Longest error text kept from a non-JSON error body. */
const MAX_ERROR_TEXT = 300;

export interface ControlPlane {
  request<T>(method: string, path: string, body?: unknown): Promise<T>;
  mailbox(email?: string): Promise<MailboxMessage[]>;
  push(injection: PushInjection): Promise<{ event_id: string }>;
  /** Journal entries with seq > after (at most 1 000 per answer: the gateway's page size). */
  journal(after: number): Promise<JournalEntry[]>;
  config(): Promise<EmulatorConfig>;
  patchConfig(patch: unknown): Promise<EmulatorConfig>;
  reset(): Promise<void>;
}

export function createControlPlane(baseUrl: string, accessToken?: string): ControlPlane {
  async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { accept: "application/json" };
    if (body !== undefined) headers["content-type"] = "application/json";
    if (accessToken) headers["authorization"] = `Bearer ${accessToken}`;
    const res = await fetch(`${baseUrl}${path}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    if (!res.ok) {
      const err = (json as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
      throw new ControlPlaneError(
        res.status,
        typeof err?.code === "string" ? err.code : `http_${res.status}`,
        `${method} ${path}: ${res.status} ${typeof err?.message === "string" ? err.message : text.slice(0, MAX_ERROR_TEXT)}`,
      );
    }
    return json as T;
  }

  return {
    request,
    mailbox: async (email) =>
      (await request<{ messages: MailboxMessage[] }>("GET", `/emulator/v1/mailbox${email === undefined ? "" : `?email=${encodeURIComponent(email)}`}`)).messages,
    push: (injection) => request("POST", "/emulator/v1/push", injection),
    journal: async (after) => (await request<{ entries: JournalEntry[] }>("GET", `/emulator/v1/journal?after=${after}`)).entries,
    config: () => request("GET", "/emulator/v1/config"),
    patchConfig: (patch) => request("PATCH", "/emulator/v1/config", patch),
    reset: async () => {
      await request("POST", "/emulator/v1/reset", {});
    },
  };
}

/**
 * A collection endpoint of issue 12 (`/emulator/v1/stubs`, `/emulator/v1/faults`): POST adds (one or an
 * array; answers the ids), GET lists, GET|DELETE `/{id}` reads or removes one, DELETE clears them all.
 * The bodies are the endpoints' own (see the README); the kit passes them through unchanged.
 */
export interface CollectionHandle<T = unknown> {
  add(items: T | T[]): Promise<unknown>;
  list(): Promise<unknown>;
  get(id: string): Promise<unknown>;
  remove(id: string): Promise<void>;
  clear(): Promise<void>;
}

export function collection<T>(control: ControlPlane, path: string): CollectionHandle<T> {
  const one = (id: string) => `${path}/${encodeURIComponent(id)}`;
  return {
    add: (items) => control.request("POST", path, items),
    list: () => control.request("GET", path),
    get: (id) => control.request("GET", one(id)),
    remove: async (id) => {
      await control.request("DELETE", one(id));
    },
    clear: async () => {
      await control.request("DELETE", path);
    },
  };
}
