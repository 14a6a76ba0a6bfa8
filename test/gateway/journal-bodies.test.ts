// The journal through real HTTP: request and response bodies per call (capped, with a truncated
// flag), DELETE empties it, and it survives an emulator restart on the same state dir (written to
// <stateDir>/journal.json by group commit). Plus GET /emulator/v1/status, measured by the gateway.
import { readFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { startMockBackend } from "../../src/backend/server.js";
import { startEmulator, type RunningEmulator } from "../../src/emulator/start.js";
import { JOURNAL_FILE } from "../../src/gateway/journal-file.js";
import { MAX_JOURNAL_BODY_BYTES } from "../../src/gateway/journal.js";
import { generateBackendToken } from "../../src/node/backend-token.js";
import type { EmulatorStatus, JournalEntry } from "../../src/shared/protocol.js";
import { executeCommandRequest } from "../../src/shared/sdk.js";
import { edgeClient, getJson, patchConfig, signIn, startTestEmulator, tempDir } from "../support/emulator.js";

const running: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const r of running.splice(0).reverse()) await r.close();
});

async function journal(url: string): Promise<JournalEntry[]> {
  const { status, json } = await getJson(`${url}/emulator/v1/journal`);
  expect(status).toBe(200);
  return json.entries;
}

async function start(stateDir: string): Promise<RunningEmulator> {
  const emulator = await startTestEmulator({ stateDir });
  running.push(emulator);
  return emulator;
}

describe("journal bodies", () => {
  it("keeps ExecuteCommand's request and response bodies; a body past the cap is cut and flagged", async () => {
    const emulator = await start(tempDir());
    const device = await signIn(emulator.url);
    const client = edgeClient(emulator.url);
    const update = executeCommandRequest(device, { messageType: "user.profile.update", payload: { display_name: "Journal Pilot" } });
    await client.executeCommand(update);
    const long = "x".repeat(MAX_JOURNAL_BODY_BYTES + 100);
    const big = executeCommandRequest(device, { messageType: "user.profile.update", payload: { display_name: long } });
    await client.executeCommand(big).catch(() => undefined); // the backend refuses the name; the journal keeps the body anyway

    const entries = await journal(emulator.url);
    const first = entries.find((e) => e.request_id === update.envelope!.requestId)!;
    expect(JSON.parse(first.request_body!.text)).toEqual({ display_name: "Journal Pilot" });
    expect(first.request_body!.truncated).toBe(false);
    expect(JSON.parse(first.response_body!.text)).toMatchObject({ display_name: "Journal Pilot" });

    const second = entries.find((e) => e.request_id === big.envelope!.requestId)!;
    expect(second.request_body!.truncated).toBe(true);
    expect(second.request_body!.bytes).toBe(big.payloadBytes.length);
    expect(second.request_body!.text.length).toBe(MAX_JOURNAL_BODY_BYTES);
  });

  it("DELETE /emulator/v1/journal empties it", async () => {
    const emulator = await start(tempDir());
    const device = await signIn(emulator.url);
    await edgeClient(emulator.url).executeCommand(executeCommandRequest(device, { messageType: "user.profile.get" }));
    expect((await journal(emulator.url)).length).toBeGreaterThan(0);
    const res = await fetch(`${emulator.url}/emulator/v1/journal`, { method: "DELETE" });
    expect(res.status).toBe(200);
    expect(await journal(emulator.url)).toEqual([]);
  });

  it("survives a restart on the same state dir, and a clear survives one too", async () => {
    const stateDir = tempDir();
    const first = await start(stateDir);
    const device = await signIn(first.url);
    const req = executeCommandRequest(device, { messageType: "user.profile.get" });
    await edgeClient(first.url).executeCommand(req);
    const before = await journal(first.url);
    await first.close();
    running.splice(running.indexOf(first), 1);
    // Written at close (the last group commit), atomically: the file is whole JSON.
    const file = JSON.parse(await readFile(path.join(stateDir, JOURNAL_FILE), "utf8")) as { entries: JournalEntry[] };
    expect(file.entries.map((e) => e.request_id)).toContain(req.envelope!.requestId);

    const second = await start(stateDir);
    const after = await journal(second.url);
    expect(after).toEqual(before);
    const kept = after.find((e) => e.request_id === req.envelope!.requestId)!;
    expect(kept.response_body?.text).toContain(device.userId);
    // New entries go on after the restored ones.
    await edgeClient(second.url).executeCommand(executeCommandRequest(device, { messageType: "user.profile.get" }));
    const grown = await journal(second.url);
    expect(grown.at(-1)!.seq).toBeGreaterThan(before.at(-1)!.seq);

    expect((await fetch(`${second.url}/emulator/v1/journal`, { method: "DELETE" })).status).toBe(200);
    await second.close();
    running.splice(running.indexOf(second), 1);
    const third = await start(stateDir);
    expect(await journal(third.url)).toEqual([]);
  });
});

describe("GET /emulator/v1/status", () => {
  it("measures the backend, the push stream and the counts; a stopped backend shows as unreachable and the push stream as down", async () => {
    const token = generateBackendToken();
    const mock = await startMockBackend({ host: "127.0.0.1", port: 0, token });
    let mockOpen = true;
    running.push({ close: async () => void (mockOpen && (await mock.close())) });
    const emulator = await startEmulator({ port: 0, stateDir: tempDir(), backend: mock.url, backendToken: token });
    running.push(emulator);
    await patchConfig(emulator.url, { public_rate_limits: { per_ip: { rate_per_s: 1000, burst: 10_000 } } });
    await signIn(emulator.url);

    const status = async () => {
      const { status: code, json } = await getJson(`${emulator.url}/emulator/v1/status`);
      expect(code).toBe(200);
      return json as EmulatorStatus;
    };
    // The push stream connects after start: wait for the gateway to say it is up (measured, not assumed).
    let up = await status();
    while (!up.push_stream.connected) up = await status();
    expect(up.backend_health).toMatchObject({ reachable: true, http_status: 200, users: 1, sessions: 1 });
    expect(up.backend).toBe(mock.url);
    expect(up.freshness_window_ms).toBeGreaterThan(0);
    expect(up.response_signing_public_key).toMatch(/^[A-Za-z0-9_-]{43}$/);

    await mock.close();
    mockOpen = false;
    let down = await status();
    while (down.push_stream.connected) down = await status();
    expect(down.backend_health.reachable).toBe(false);
    expect(down.backend_health.error).toBeTruthy();
    expect(down.push_stream.connected).toBe(false);
  });
});
