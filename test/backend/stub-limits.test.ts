// The stub engine's bounds, on the mock backend's own HTTP API (the gateway in front adds nothing to
// them): total size of the mappings, template expansion, and pushes waiting for their delay. Each
// refusal leaves the state as it was.
import { afterAll, beforeAll, expect, it } from "vitest";
import type { MockBackend } from "../../src/backend/server.js";
import { MAX_PENDING_PUSHES } from "../../src/backend/stubs/push-scheduler.js";
import { MAX_STUBS_BYTES } from "../../src/backend/stubs/stub-store.js";
import { MAX_RENDERED_CHARS } from "../../src/backend/stubs/template.js";
import { call, expectError, identityHeaders, signIn, startTestBackend, type SignedIn } from "./helpers.js";

let mock: MockBackend;
let user: SignedIn;

beforeAll(async () => {
  mock = await startTestBackend();
  user = await signIn(mock.url, "limits@example.com");
});
afterAll(() => mock.close());

const command = (messageType: string, payload: unknown) =>
  call(mock.url, "POST", `/api/v1/user/stubs/${messageType}`, payload, identityHeaders(user.userId, user.deviceSessionId, messageType));

it(`refuses mappings past ${MAX_STUBS_BYTES} bytes in all, adding none of the batch`, async () => {
  const filler = "x".repeat(15_000);
  const batch = (n: number) => Array.from({ length: 4 }, (_, i) => ({ id: `big-${n}-${i}`, message_type: "limits.big", respond: { payload: { filler } } }));
  let refused;
  for (let n = 0; n < 10 && !refused; n++) {
    const reply = await call(mock.url, "POST", "/emulator/v1/stubs", batch(n));
    if (reply.status !== 200) refused = { n, reply };
  }
  expect(refused).toBeDefined();
  expectError(refused!.reply, 400, "invalid_request");
  expect(refused!.reply.json.error.message).toMatch(new RegExp(`^\\$: the stubs would take \\d+ bytes as JSON, more than ${MAX_STUBS_BYTES}$`));
  const ids = (await call(mock.url, "GET", "/emulator/v1/stubs")).json.stubs.map((s: { id: string }) => s.id);
  expect(ids).toHaveLength(refused!.n * 4);
  expect(ids.some((id: string) => id.startsWith(`big-${refused!.n}-`))).toBe(false);
  expect((await call(mock.url, "DELETE", "/emulator/v1/stubs")).json).toEqual({ deleted: refused!.n * 4 });
});

it(`answers 422 stub_render_too_large when templates would insert more than ${MAX_RENDERED_CHARS} characters`, async () => {
  await call(mock.url, "POST", "/emulator/v1/stubs", { id: "echo", message_type: "limits.echo", respond: { payload: { twice: "{{payload.text}}{{payload.text}}" } } });
  const small = await command("limits.echo", { text: "ab" });
  expect(small.status).toBe(200);
  expect(small.json).toEqual({ twice: "abab" });
  const big = await command("limits.echo", { text: "y".repeat(MAX_RENDERED_CHARS / 2 + 1) });
  expectError(big, 422, "stub_render_too_large");
  // Not counted: the call was not answered by the stub.
  expect((await call(mock.url, "GET", "/emulator/v1/stubs/echo")).json.matched_count).toBe(1);
});

it(`refuses a match whose pushes would pass ${MAX_PENDING_PUSHES} waiting, with 503 and nothing applied`, async () => {
  const pushes = Array.from({ length: 16 }, () => ({ event_type: "later", payload: {}, delay_ms: 600_000 }));
  await call(mock.url, "POST", "/emulator/v1/stubs", { id: "later", message_type: "limits.later", push: pushes });
  const fits = Math.floor(MAX_PENDING_PUSHES / 16);
  for (let i = 0; i < fits; i++) expect((await command("limits.later", {})).status).toBe(200);
  expectError(await command("limits.later", {}), 503, "stub_pushes_full");
  expect((await call(mock.url, "GET", "/emulator/v1/stubs/later")).json.matched_count).toBe(fits);
  // A reset drops the waiting pushes: the next match fits again.
  expect((await call(mock.url, "POST", "/emulator/v1/reset", {})).status).toBe(200);
  user = await signIn(mock.url, "limits@example.com");
  await call(mock.url, "POST", "/emulator/v1/stubs", { id: "later", message_type: "limits.later", push: pushes });
  expect((await command("limits.later", {})).status).toBe(200);
});
