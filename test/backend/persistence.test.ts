// startMockBackend({ stateDir }): users, sessions, challenges, mailbox and the push log (with its id
// counter) survive a restart; a corrupt state file stops the start with a clear message; stale temp
// files of a killed writer are cleaned up.
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { STATE_FILE } from "../../src/backend/persistence.js";
import { PERSISTED_PUSH_LOG_BYTES } from "../../src/backend/push-log.js";
import type { MockBackend } from "../../src/backend/server.js";
import { call, injectEvent, openPush, payloadOf, signIn, startTestBackend } from "./helpers.js";

const running: MockBackend[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((b) => b.close()));
});

async function start(stateDir: string): Promise<MockBackend> {
  const backend = await startTestBackend({ stateDir });
  running.push(backend);
  return backend;
}

async function stop(backend: MockBackend): Promise<void> {
  running.splice(running.indexOf(backend), 1);
  await backend.close();
}

const tempState = () => mkdtempSync(path.join(os.tmpdir(), "gge-mock-state-"));

describe("mock backend persistence", () => {
  it("sessions, profiles, games, revocations, mailbox and the push log survive a restart; ids continue", async () => {
    const dir = tempState();
    const first = await start(dir);
    const alice = await signIn(first.url, "alice@example.com");
    const bob = await signIn(first.url, "bob@example.com");
    await call(first.url, "PATCH", "/api/v1/user/profile", { display_name: "Ace" }, alice.headers);
    const fleet = await call(first.url, "POST", "/api/v1/user/game/fleets", { from_planet: "earth", to_planet: "mars", ships: 30 }, alice.headers);
    expect(fleet.status).toBe(200);
    await call(first.url, "POST", "/api/v1/user/sessions/revoke", { device_session_id: bob.deviceSessionId }, bob.headers);
    const ids = [await injectEvent(first.url, alice.userId, { n: 1 }), await injectEvent(first.url, alice.userId, { n: 2 })];
    const pending = await call(first.url, "POST", "/api/v1/public/auth/send-email-code", { email: "carol@example.com" });
    await stop(first);

    const second = await start(dir);
    const session = await call(second.url, "GET", `/api/v1/internal/sessions/${alice.deviceSessionId}`);
    expect(session.json).toMatchObject({ user_id: alice.userId, client_public_key: alice.publicKey, status: "active" });
    expect((await call(second.url, "GET", `/api/v1/internal/sessions/${bob.deviceSessionId}`)).json.status).toBe("revoked");
    expect((await call(second.url, "GET", "/api/v1/user/profile", undefined, alice.headers)).json.display_name).toBe("Ace");
    const again = await call(second.url, "POST", "/api/v1/user/game/fleets", { from_planet: "earth", to_planet: "mars", ships: 71 }, alice.headers);
    expect(again.json.error?.code).toBe("insufficient_ships"); // 70 left after the 30 sent before the restart
    const mailbox = await call(second.url, "GET", "/emulator/v1/mailbox?email=carol@example.com");
    expect(mailbox.json.messages.at(-1).challenge_id).toBe(pending.json.challenge_id);

    // The log replays across the restart, and the next id follows the last one.
    const push = openPush(second.url, "0");
    try {
      const replayed = [await push.next(), await push.next(), await push.next()];
      expect(replayed.map((e) => e.eventId)).toEqual(["1", ids[0], ids[1]]); // 1: bob's revocation
      expect(payloadOf(replayed[2]!)).toEqual({ n: 2 });
      const next = await injectEvent(second.url, alice.userId, { n: 3 });
      expect(Number(next)).toBe(Number(ids[1]) + 1);
      expect((await push.next()).eventId).toBe(next);
    } finally {
      push.close();
    }
  });

  it("an answered change is on disk before the answer arrives", async () => {
    const dir = tempState();
    const backend = await start(dir);
    const alice = await signIn(backend.url, "durable@example.com");
    // No close(): read the file as a kill -9 right now would leave it.
    const { readFile } = await import("node:fs/promises");
    const state = JSON.parse(await readFile(path.join(dir, STATE_FILE), "utf8"));
    expect(state.store.sessions.map((s: { device_session_id: string }) => s.device_session_id)).toContain(alice.deviceSessionId);
    const id = await injectEvent(backend.url, alice.userId);
    const after = JSON.parse(await readFile(path.join(dir, STATE_FILE), "utf8"));
    expect(after.push.last_id).toBe(Number(id));
  });

  it("the persisted push log is the newest PERSISTED_PUSH_LOG_BYTES of events; ids still continue", async () => {
    const dir = tempState();
    const first = await start(dir);
    for (let i = 0; i < 40; i++) await injectEvent(first.url, "u_big", { i, pad: "x".repeat(40_000) });
    await stop(first);
    const { readFile } = await import("node:fs/promises");
    const state = JSON.parse(await readFile(path.join(dir, STATE_FILE), "utf8"));
    const bytes = state.push.events.reduce((n: number, e: string) => n + e.length, 0);
    expect(bytes).toBeLessThanOrEqual(PERSISTED_PUSH_LOG_BYTES);
    expect(state.push.events.length).toBeGreaterThan(0);
    expect(state.push.events.length).toBeLessThan(40);

    const second = await start(dir);
    const push = openPush(second.url, "0"); // older than the log: the whole persisted log
    try {
      const oldest = await push.next();
      expect(Number(oldest.eventId)).toBe(40 - state.push.events.length + 1);
      expect(Number(await injectEvent(second.url, "u_big"))).toBe(41);
    } finally {
      push.close();
    }
  });

  it("a reset is persisted too", async () => {
    const dir = tempState();
    const first = await start(dir);
    const alice = await signIn(first.url, "reset@example.com");
    expect((await call(first.url, "POST", "/emulator/v1/reset", {})).status).toBe(200);
    await stop(first);
    const second = await start(dir);
    expect((await call(second.url, "GET", `/api/v1/internal/sessions/${alice.deviceSessionId}`)).status).toBe(404);
  });

  it("a state file that does not parse stops the start with a message naming it", async () => {
    const dir = tempState();
    writeFileSync(path.join(dir, STATE_FILE), '{"version":1,"store":');
    await expect(startTestBackend({ stateDir: dir })).rejects.toThrow(/mock-backend-state\.json is unreadable/);
  });

  it("a state file that parses but does not hold together stops the start naming the path (the check PUT /emulator/v1/state uses)", async () => {
    const dir = tempState();
    const session = { device_session_id: "ds_1", user_id: "u_nobody", client_public_key: "AAAA", status: "active", created_at_ms: 1 };
    const state = { version: 1, saved_at_ms: 1, store: { users: [], sessions: [session], challenges: [], mailbox: [] }, push: { last_id: 0, events: [] } };
    writeFileSync(path.join(dir, STATE_FILE), JSON.stringify(state));
    await expect(startTestBackend({ stateDir: dir })).rejects.toThrow(/is unreadable \(store\.sessions\[0\]\.user_id: names no user of store\.users\)/);
  });

  it("temp files left by a killed writer are removed on start", async () => {
    const dir = tempState();
    const stale = path.join(dir, `.${STATE_FILE}.0123456789ab.tmp`);
    writeFileSync(stale, "{half a write");
    const backend = await start(dir);
    expect(existsSync(stale)).toBe(false);
    await signIn(backend.url, "temp@example.com");
    expect(readdirSync(dir).filter((n) => n.endsWith(".tmp"))).toEqual([]);
  });
});
