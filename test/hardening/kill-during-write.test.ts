// State files survive kill -9 in the middle of a write: a child process writes in a tight loop
// (src/node/atomic-file.ts directly, GatewayKey rotation, the mock backend under a flood of pushes)
// and is SIGKILLed; the file left behind always parses and holds the last acknowledged write or a
// newer one, and the next start loads it (cleaning up the killed writer's temp file).
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { STATE_FILE } from "../../src/backend/persistence.js";
import { GatewayKey } from "../../src/gateway/signing/gateway-key.js";
import { toBase64Url } from "../../src/shared/bytes.js";
import { openPush, startTestBackend } from "../backend/helpers.js";
import { spawnTs } from "./children.js";

const KILLS = 3;
const tmp = (prefix: string) => mkdtempSync(path.join(os.tmpdir(), prefix));

/** Starts the write loop, waits until it has acknowledged `writes` writes, then kills it (-9). */
async function killMidLoop(mode: string, target: string, ack: RegExp, writes: number): Promise<string[]> {
  const child = spawnTs("test/hardening/fixtures/write-loop.ts", [mode, target]);
  try {
    for (let n = 0; n < writes; n++) await child.line(ack);
  } finally {
    await child.kill9();
  }
  return child.lines.map((l) => ack.exec(l)?.[1]).filter((v): v is string => v !== undefined);
}

describe("kill -9 in the middle of writing", () => {
  it("writeFileAtomic: the file always parses and holds the last acknowledged document or the next one", async () => {
    const dir = tmp("gge-kill-atomic-");
    const file = path.join(dir, "state.json");
    for (let k = 0; k < KILLS; k++) {
      const acked = (await killMidLoop("atomic", file, /^wrote (\d+)$/, 20)).map(Number);
      const last = Math.max(...acked);
      const doc = JSON.parse(readFileSync(file, "utf8")) as { n: number };
      expect([last, last + 1]).toContain(doc.n);
    }
  });

  it("GatewayKey: after a kill during rotation the key file loads, and is the last acknowledged key or a newer one", async () => {
    const dir = tmp("gge-kill-key-");
    for (let k = 0; k < KILLS; k++) {
      const keys = await killMidLoop("gateway-key", dir, /^rotated (\S+)$/, 30);
      const loaded = toBase64Url((await GatewayKey.load(dir)).publicKey());
      // Either the last key printed, or one rotated to after it: never an older one.
      expect(keys.slice(0, -1)).not.toContain(loaded);
      expect(readdirSync(dir).filter((n) => n.endsWith(".tmp"))).toEqual([]); // load() cleaned up
    }
  });

  it("mock backend: every acknowledged push is in the reloaded log, the id counter did not go back", async () => {
    const dir = tmp("gge-kill-mock-");
    let previousLast = 0;
    for (let k = 0; k < KILLS; k++) {
      const acked = (await killMidLoop("mock", dir, /^acked (\d+)$/, 60)).map(Number);
      const state = JSON.parse(readFileSync(path.join(dir, STATE_FILE), "utf8")) as { push: { last_id: number } };
      expect(state.push.last_id).toBeGreaterThanOrEqual(Math.max(...acked));
      expect(state.push.last_id).toBeGreaterThan(previousLast);
      previousLast = state.push.last_id;

      // The next start loads it and replays every acknowledged id of this round.
      const backend = await startTestBackend({ stateDir: dir });
      const push = openPush(backend.url, String(Math.min(...acked) - 1));
      try {
        const replayed: number[] = [];
        while (replayed.length === 0 || replayed.at(-1)! < state.push.last_id) replayed.push(Number((await push.next()).eventId));
        for (const id of acked) expect(replayed).toContain(id);
      } finally {
        push.close();
        await backend.close();
      }
    }
  });
});
