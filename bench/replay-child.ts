// Runs with --expose-gc: heap growth of a ReplayStore holding N reservations, per entry. The ids are
// shaped like the real ones (backend "ds_" + 32 hex; SDK request ids) and decoded from UTF-8 bytes
// the way protobuf-es hands them to the gateway, so the strings are what the gateway would hold.
import { randomBytes } from "node:crypto";
import { ReplayStore } from "../src/gateway/replay-store.js";
import { newRequestId } from "../src/shared/sdk.js";
import { serveCommands } from "./proc.js";

const gc = (globalThis as { gc?: () => void }).gc;

function settle(): number {
  for (let i = 0; i < 4; i++) gc!();
  return process.memoryUsage().heapUsed;
}

serveCommands({
  measure({ entries, sessions }: { entries: number; sessions: number }) {
    if (!gc) throw new Error("run with --expose-gc");
    const encoder = new TextEncoder();
    const decoder = new TextDecoder();
    const sessionIds = Array.from({ length: sessions }, () => `ds_${randomBytes(16).toString("hex")}`);
    const nowMs = Date.now();
    let store: ReplayStore | undefined = new ReplayStore();
    // Retains nothing but the store: the ids are decoded per call and dropped, as in the gateway.
    const before = settle();
    const start = performance.now();
    for (let i = 0; i < entries; i++) {
      const requestId = decoder.decode(encoder.encode(newRequestId()));
      if (store.reserve(sessionIds[i % sessions]!, requestId, nowMs, nowMs, 120_000) !== "reserved") throw new Error("unexpected replay");
    }
    const insertMs = performance.now() - start;
    const after = settle();
    const size = store.size;
    store = undefined;
    const released = settle();
    return {
      entries: size,
      bytes_per_entry: (after - before) / size,
      released_bytes_per_entry: (after - released) / size,
      insert_ns_per_entry: (insertMs * 1e6) / size,
    };
  },
});
