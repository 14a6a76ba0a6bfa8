// The console's request history and collections, kept in localStorage so they survive a reload:
// every command the console signed and sent (per device session, newest first), which a person can
// rename and re-send, and named collections of saved requests (message type + payload) to send again
// from any device. Bounded so that the worst case stays well inside localStorage's quota (5 MiB per
// origin in Chromium and Electron):
//   history     500 items × 4 KiB payload  ≈ 2 MiB
//   collections  10 × 25 requests × 4 KiB  ≈ 1 MiB
// A payload longer than PAYLOAD_CHARS is kept cut (and marked): such an item is shown, not re-sent.
// A write that fails anyway (quota taken by something else) is reported in the state, never thrown.
import { Store, type ExternalStore } from "../lib/store.js";

/** The newest 100 calls per device: a day of poking at a gateway, and more than a list can show usefully. */
export const HISTORY_PER_DEVICE = 100;
/** Across devices; the oldest go first. */
export const HISTORY_TOTAL = 500;
export const MAX_COLLECTIONS = 10;
export const MAX_PER_COLLECTION = 25;
/** The default routes' payloads are < 200 characters; 4 KiB keeps hand-made bigger ones too. */
export const PAYLOAD_CHARS = 4_096;
export const HISTORY_STORAGE_KEY = "galaxy-console.history.v1";

export interface HistoryItem {
  id: string;
  deviceSessionId: string;
  sentAtMs: number;
  /** A name the person gave it; absent: shown by its message type. */
  name?: string;
  messageType: string;
  /** The payload as sent (JSON text; "" for an empty payload). */
  payloadText: string;
  payloadTruncated: boolean;
  requestId: string;
  /** result_code of an answered call, or the rejection's reason. */
  outcome: string;
  accepted: boolean;
  elapsedMs: number;
  /** The item this one re-sent. */
  resentFrom?: string;
}

export interface SavedRequest {
  id: string;
  name: string;
  messageType: string;
  payloadText: string;
}

export interface Collection {
  name: string;
  requests: SavedRequest[];
}

export interface HistoryState {
  /** All devices', newest first. */
  items: HistoryItem[];
  collections: Collection[];
  saveError?: string;
}

/** The part of Web Storage the history uses (tests and the Electron renderer pass their own). */
export type KeyValueStorage = Pick<Storage, "getItem" | "setItem">;

function newId(): string {
  return `h-${Date.now().toString(36)}-${Math.floor(Math.random() * 0x100000000).toString(36)}`;
}

function cut(text: string): { text: string; truncated: boolean } {
  return text.length > PAYLOAD_CHARS ? { text: text.slice(0, PAYLOAD_CHARS), truncated: true } : { text, truncated: false };
}

function isItem(x: unknown): x is HistoryItem {
  const o = x as Partial<HistoryItem> | null;
  return (
    typeof o === "object" &&
    o !== null &&
    typeof o.id === "string" &&
    typeof o.deviceSessionId === "string" &&
    typeof o.sentAtMs === "number" &&
    typeof o.messageType === "string" &&
    typeof o.payloadText === "string" &&
    typeof o.requestId === "string" &&
    typeof o.outcome === "string"
  );
}

function isCollection(x: unknown): x is Collection {
  const o = x as Partial<Collection> | null;
  return typeof o === "object" && o !== null && typeof o.name === "string" && Array.isArray(o.requests);
}

/** Keeps HISTORY_PER_DEVICE per device and HISTORY_TOTAL in all, newest first. */
function bounded(items: HistoryItem[]): HistoryItem[] {
  const perDevice = new Map<string, number>();
  const kept: HistoryItem[] = [];
  for (const item of items) {
    const n = perDevice.get(item.deviceSessionId) ?? 0;
    if (n >= HISTORY_PER_DEVICE) continue;
    perDevice.set(item.deviceSessionId, n + 1);
    kept.push(item);
    if (kept.length >= HISTORY_TOTAL) break;
  }
  return kept;
}

export class HistoryStore implements ExternalStore<HistoryState> {
  private readonly state: Store<HistoryState>;
  private saveQueued = false;

  constructor(private readonly storage: KeyValueStorage | undefined) {
    this.state = new Store<HistoryState>(this.load());
  }

  readonly subscribe = (listener: () => void) => this.state.subscribe(listener);
  readonly getSnapshot = () => this.state.getSnapshot();

  /** Adds a sent call (newest first). */
  record(call: Omit<HistoryItem, "id" | "payloadTruncated">): HistoryItem {
    const payload = cut(call.payloadText);
    const item: HistoryItem = { ...call, id: newId(), payloadText: payload.text, payloadTruncated: payload.truncated };
    this.change((s) => ({ ...s, items: bounded([item, ...s.items]) }));
    return item;
  }

  rename(id: string, name: string): void {
    const trimmed = name.trim().slice(0, 120);
    this.change((s) => ({
      ...s,
      items: s.items.map((i) => {
        if (i.id !== id) return i;
        const { name: _old, ...rest } = i;
        return trimmed ? { ...rest, name: trimmed } : rest;
      }),
    }));
  }

  remove(id: string): void {
    this.change((s) => ({ ...s, items: s.items.filter((i) => i.id !== id) }));
  }

  /** Drops a device's history (its device was removed from the console). */
  forgetDevice(deviceSessionId: string): void {
    if (!this.state.getSnapshot().items.some((i) => i.deviceSessionId === deviceSessionId)) return;
    this.change((s) => ({ ...s, items: s.items.filter((i) => i.deviceSessionId !== deviceSessionId) }));
  }

  /**
   * Saves a request into the named collection (created when new). Returns an error text when a
   * bound is reached, else undefined.
   */
  saveToCollection(collection: string, request: Omit<SavedRequest, "id">): string | undefined {
    const name = collection.trim().slice(0, 80);
    if (!name) return "a collection needs a name";
    const { collections } = this.state.getSnapshot();
    const existing = collections.find((c) => c.name === name);
    if (!existing && collections.length >= MAX_COLLECTIONS) return `at most ${MAX_COLLECTIONS} collections`;
    if (existing && existing.requests.length >= MAX_PER_COLLECTION) return `at most ${MAX_PER_COLLECTION} requests per collection`;
    const saved: SavedRequest = { ...request, name: request.name.slice(0, 120), payloadText: cut(request.payloadText).text, id: newId() };
    this.change((s) => ({
      ...s,
      collections: existing
        ? s.collections.map((c) => (c.name === name ? { ...c, requests: [...c.requests, saved] } : c))
        : [...s.collections, { name, requests: [saved] }],
    }));
    return undefined;
  }

  removeSaved(collection: string, id: string): void {
    this.change((s) => ({
      ...s,
      collections: s.collections
        .map((c) => (c.name === collection ? { ...c, requests: c.requests.filter((r) => r.id !== id) } : c))
        .filter((c) => c.requests.length > 0),
    }));
  }

  private load(): HistoryState {
    try {
      const raw = this.storage?.getItem(HISTORY_STORAGE_KEY);
      if (!raw) return { items: [], collections: [] };
      const parsed = JSON.parse(raw) as { items?: unknown; collections?: unknown };
      const items = Array.isArray(parsed.items) ? parsed.items.filter(isItem) : [];
      const collections = Array.isArray(parsed.collections) ? parsed.collections.filter(isCollection).slice(0, MAX_COLLECTIONS) : [];
      return { items: bounded(items), collections };
    } catch {
      return { items: [], collections: [] };
    }
  }

  private change(update: (s: HistoryState) => HistoryState): void {
    this.state.update(update);
    // One write per turn however many changes it made.
    if (this.saveQueued || !this.storage) return;
    this.saveQueued = true;
    queueMicrotask(() => {
      this.saveQueued = false;
      const { items, collections } = this.state.getSnapshot();
      try {
        this.storage!.setItem(HISTORY_STORAGE_KEY, JSON.stringify({ items, collections }));
        if (this.state.getSnapshot().saveError) this.state.update(({ saveError: _gone, ...s }) => s);
      } catch (e) {
        this.state.update((s) => ({ ...s, saveError: `history not saved: ${e instanceof Error ? e.message : String(e)}` }));
      }
    });
  }
}
