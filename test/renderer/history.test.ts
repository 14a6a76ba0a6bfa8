// The console's history store: kept in (a stand-in for) localStorage across instances, bounded per
// device and in all, payloads cut (and then not re-sendable), collections bounded, a full storage
// reported instead of thrown, and junk in storage ignored.
import { describe, expect, it } from "vitest";
import { HISTORY_PER_DEVICE, HISTORY_STORAGE_KEY, HISTORY_TOTAL, HistoryStore, MAX_PER_COLLECTION, PAYLOAD_CHARS, type KeyValueStorage } from "../../src/renderer/services/history.js";

function memoryStorage(): KeyValueStorage & { data: Map<string, string> } {
  const data = new Map<string, string>();
  return { data, getItem: (k) => data.get(k) ?? null, setItem: (k, v) => void data.set(k, v) };
}

const call = (deviceSessionId: string, n: number, payloadText = "{}") => ({
  deviceSessionId,
  sentAtMs: n,
  messageType: "user.profile.get",
  payloadText,
  requestId: `r${n}`,
  outcome: "ok",
  accepted: true,
  elapsedMs: 1,
});

const settled = () => new Promise<void>((resolve) => queueMicrotask(resolve));

describe("HistoryStore", () => {
  it("survives a new instance on the same storage (a reload), with names and collections", async () => {
    const storage = memoryStorage();
    const first = new HistoryStore(storage);
    const item = first.record(call("ds_a", 1, '{"x":1}'));
    first.rename(item.id, "  my call  ");
    expect(first.saveToCollection("ops", { name: "my call", messageType: item.messageType, payloadText: item.payloadText })).toBeUndefined();
    await settled();
    const second = new HistoryStore(storage);
    expect(second.getSnapshot().items).toEqual([{ ...item, name: "my call" }]);
    expect(second.getSnapshot().collections).toMatchObject([{ name: "ops", requests: [{ name: "my call", payloadText: '{"x":1}' }] }]);
  });

  it("keeps the newest per device and in all; cuts long payloads and marks them", () => {
    const store = new HistoryStore(memoryStorage());
    for (let i = 0; i < HISTORY_PER_DEVICE + 5; i++) store.record(call("ds_a", i));
    const a = store.getSnapshot().items.filter((i) => i.deviceSessionId === "ds_a");
    expect(a).toHaveLength(HISTORY_PER_DEVICE);
    expect(a[0]!.requestId).toBe(`r${HISTORY_PER_DEVICE + 4}`);
    for (let d = 0; d < HISTORY_TOTAL / HISTORY_PER_DEVICE + 1; d++) for (let i = 0; i < HISTORY_PER_DEVICE; i++) store.record(call(`ds_${d}`, i));
    expect(store.getSnapshot().items).toHaveLength(HISTORY_TOTAL);
    const long = store.record(call("ds_a", 0, "x".repeat(PAYLOAD_CHARS + 1)));
    expect(long).toMatchObject({ payloadTruncated: true });
    expect(long.payloadText).toHaveLength(PAYLOAD_CHARS);
  });

  it("bounds a collection; reports a storage that refuses instead of throwing; ignores junk", async () => {
    const store = new HistoryStore(memoryStorage());
    for (let i = 0; i < MAX_PER_COLLECTION; i++) expect(store.saveToCollection("c", { name: `n${i}`, messageType: "m", payloadText: "" })).toBeUndefined();
    expect(store.saveToCollection("c", { name: "one more", messageType: "m", payloadText: "" })).toMatch(/at most/);

    const full = new HistoryStore({ getItem: () => null, setItem: () => { throw new Error("QuotaExceededError"); } });
    full.record(call("ds_a", 1));
    await settled();
    expect(full.getSnapshot().saveError).toContain("QuotaExceededError");
    expect(full.getSnapshot().items).toHaveLength(1);

    const junk = memoryStorage();
    junk.data.set(HISTORY_STORAGE_KEY, '{"items":[{"id":1},null,"x"],"collections":{}}');
    expect(new HistoryStore(junk).getSnapshot()).toEqual({ items: [], collections: [] });
    junk.data.set(HISTORY_STORAGE_KEY, "not json");
    expect(new HistoryStore(junk).getSnapshot()).toEqual({ items: [], collections: [] });
  });
});
