// The emulator control plane (PROTOCOL.md §7, ARCHITECTURE.md additions, issue 12's stubs and faults)
// as typed calls: JSON over the global fetch, the access token sent when there is one, and every
// non-2xx answer thrown as a ControlPlaneError carrying the `{"error":{"code","message"}}` body.
import type { EmulatorConfig, JournalEntry, MailboxMessage, PushInjection } from "../shared/protocol.js";
import { jsonErrorOf, parseJsonText } from "../shared/json-error.js";

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
    const json = parseJsonText(text);
    if (!res.ok) {
      const err = jsonErrorOf(res.status, json, text, "", MAX_ERROR_TEXT);
      throw new ControlPlaneError(
        res.status,
        err.code,
        `${method} ${path}: ${res.status} ${err.message}`,
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

/** An item as the control plane lists it: its id plus the endpoint's own fields (README "Your own game"). */
export type CollectionItem = { id: string } & Record<string, unknown>;

/**
 * A collection endpoint of issue 12 (`/emulator/v1/stubs`, `/emulator/v1/faults`) as a test uses it.
 * The endpoints differ in their answers (stubs POST `{ids}`, faults POST `{id}` for one item; GET
 * `{stubs}` / `{faults}`; DELETE `{deleted}` / `{removed}`), so each handle reads its own keys and every
 * handle answers the same shapes: the ids added, the items, the number cleared. The items sent are
 * passed through unchanged: the endpoint validates them (a bad one → ControlPlaneError 400 naming the
 * JSON path).
 */
export interface CollectionHandle<In = Record<string, unknown>, Item extends CollectionItem = CollectionItem> {
  /** Adds one item or an array (all or nothing); resolves with the ids, in order. */
  add(items: In | In[]): Promise<string[]>;
  list(): Promise<Item[]>;
  /** One item; ControlPlaneError 404 `not_found` when there is none. */
  get(id: string): Promise<Item>;
  /** Removes one item; ControlPlaneError 404 when there is none. */
  remove(id: string): Promise<void>;
  /** Removes every item; resolves with how many there were. */
  clear(): Promise<number>;
}

/** Where an endpoint's answers keep what the handle returns. */
export interface CollectionKeys {
  path: string;
  /** The key of GET's array: "stubs", "faults". */
  listKey: string;
  /** The key of DELETE's count: "deleted", "removed". */
  clearedKey: string;
}

export function collection<In, Item extends CollectionItem>(control: ControlPlane, keys: CollectionKeys): CollectionHandle<In, Item> {
  const { path } = keys;
  const one = (id: string) => `${path}/${encodeURIComponent(id)}`;
  return {
    async add(items) {
      const answer = await control.request<{ id?: string; ids?: string[] }>("POST", path, items);
      return answer.ids ?? [answerField<string>(answer, "id", `POST ${path}`)];
    },
    list: async () => answerField<Item[]>(await control.request("GET", path), keys.listKey, `GET ${path}`),
    get: (id) => control.request<Item>("GET", one(id)),
    remove: async (id) => {
      await control.request("DELETE", one(id));
    },
    clear: async () => answerField<number>(await control.request("DELETE", path), keys.clearedKey, `DELETE ${path}`),
  };
}

/** A key the endpoint's answer must have: missing means the target is not the emulator the kit knows. */
function answerField<T>(answer: unknown, key: string, call: string): T {
  const value = (answer as Record<string, unknown> | undefined)?.[key];
  if (value === undefined) throw new Error(`${call}: the answer has no "${key}"`);
  return value as T;
}
