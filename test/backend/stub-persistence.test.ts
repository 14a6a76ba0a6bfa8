// Stub state on disk: a match is durable when it is answered, whatever the method (a GET-routed type
// counts and moves scenarios too), as every other change of the mock backend is.
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { STATE_FILE } from "../../src/backend/persistence.js";
import type { MockBackend } from "../../src/backend/server.js";
import { tempDir } from "../support/emulator.js";
import { call, identityHeaders, signIn, startTestBackend } from "./helpers.js";

let mock: MockBackend;
let stateDir: string;

beforeAll(async () => {
  stateDir = tempDir();
  mock = await startTestBackend({ stateDir });
});
afterAll(() => mock.close());

it("a GET answered by a stub is on disk (count, scenario) before its answer", async () => {
  const user = await signIn(mock.url, "disk@example.com");
  const added = await call(mock.url, "POST", "/emulator/v1/stubs", {
    id: "profile",
    message_type: "user.profile.get",
    respond: { payload: { stubbed: true } },
    scenario: { name: "seen", new_state: "Seen" },
  });
  expect(added.status).toBe(200);
  const res = await call(mock.url, "GET", "/api/v1/user/profile", undefined, identityHeaders(user.userId, user.deviceSessionId, "user.profile.get"));
  expect(res.json).toEqual({ stubbed: true });
  expect(res.headers.get("x-galaxy-stub-id")).toBe("profile");
  const saved = JSON.parse(readFileSync(path.join(stateDir, STATE_FILE), "utf8"));
  expect(saved.stubs.stubs.map((s: { mapping: { id: string }; matched_count: number }) => [s.mapping.id, s.matched_count])).toEqual([["profile", 1]]);
  expect(saved.stubs.scenarios).toEqual({ seen: "Seen" });
});

it("a restart with the same --stubs folder keeps the file mappings' counts and order; an edited file replaces its mapping", async () => {
  const dir = tempDir();
  const stubsDir = tempDir();
  const file = path.join(stubsDir, "shop.json");
  writeFileSync(file, JSON.stringify([{ message_type: "file.one", respond: { payload: { from: "file" } } }]));
  const answer = async (backend: MockBackend, user: { userId: string; deviceSessionId: string }) =>
    (await call(backend.url, "POST", "/api/v1/user/stubs/file.one", {}, identityHeaders(user.userId, user.deviceSessionId, "file.one"))).json;

  let backend = await startTestBackend({ stateDir: dir, stubsDir });
  const user = await signIn(backend.url, "files@example.com");
  expect(await answer(backend, user)).toEqual({ from: "file" });
  // One made on the control plane for the same type: newer, so it answers.
  expect((await call(backend.url, "POST", "/emulator/v1/stubs", { id: "console-made", message_type: "file.one", respond: { payload: { from: "console" } } })).status).toBe(200);
  expect(await answer(backend, user)).toEqual({ from: "console" });
  await backend.close();

  backend = await startTestBackend({ stateDir: dir, stubsDir });
  try {
    expect(await answer(backend, user)).toEqual({ from: "console" }); // the file did not jump ahead again
    expect((await call(backend.url, "GET", "/emulator/v1/stubs/shop-1")).json).toMatchObject({ matched_count: 1 });
  } finally {
    await backend.close();
  }

  writeFileSync(file, JSON.stringify([{ message_type: "file.one", priority: 1, respond: { payload: { from: "edited file" } } }]));
  backend = await startTestBackend({ stateDir: dir, stubsDir });
  try {
    expect(await answer(backend, user)).toEqual({ from: "edited file" });
    expect((await call(backend.url, "GET", "/emulator/v1/stubs/shop-1")).json).toMatchObject({ matched_count: 1 }); // this call's
  } finally {
    await backend.close();
  }
});
