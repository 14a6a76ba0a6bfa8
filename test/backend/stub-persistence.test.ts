// Stub state on disk: a match is durable when it is answered, whatever the method (a GET-routed type
// counts and moves scenarios too), as every other change of the mock backend is.
import { readFileSync } from "node:fs";
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
