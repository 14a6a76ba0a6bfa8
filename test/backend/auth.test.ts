// PROTOCOL.md §3 public auth and the §6 internal session lookup, over real HTTP.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { MockBackend } from "../../src/backend/server.js";
import { CHALLENGE_TTL_MS, MAX_CODE_ATTEMPTS } from "../../src/shared/protocol.js";
import { toBase64Url } from "../../src/shared/bytes.js";
import { call, expectError, latestCode, newPublicKey, signIn, startTestBackend } from "./helpers.js";

let backend: MockBackend;
let base: string;
/** Injected clock: tests move it forward to expire challenges. */
let clock = 1_800_000_000_000;

beforeAll(async () => {
  backend = await startTestBackend({ now: () => clock });
  base = backend.url;
});
afterAll(() => backend.close());

const SEND = "/api/v1/public/auth/send-email-code";
const CONFIRM = "/api/v1/public/auth/confirm-email-code";

async function challengeFor(email: string) {
  const sent = await call(base, "POST", SEND, { email });
  expect(sent.status).toBe(200);
  return latestCode(base, email);
}

/** A 6-digit code guaranteed to differ from `code`. */
function wrong(code: string): string {
  return code === "000000" ? "111111" : "000000";
}

describe("email-code sign-in", () => {
  it("sends a code to the mailbox and confirms it into a device session bound to the key", async () => {
    const sent = await call(base, "POST", SEND, { email: "  Alice@Example.COM " });
    expect(sent.status).toBe(200);
    expect(sent.json.challenge_id).toMatch(/^ch_[0-9a-f]+$/);

    const mail = await latestCode(base, "alice@example.com");
    expect(mail).toMatchObject({ email: "alice@example.com", challenge_id: sent.json.challenge_id, sent_at_ms: clock });
    expect(mail.code).toMatch(/^[0-9]{6}$/);

    const key = newPublicKey();
    const confirmed = await call(base, "POST", CONFIRM, { challenge_id: sent.json.challenge_id, code: mail.code, client_public_key: key });
    expect(confirmed.status).toBe(200);
    expect(confirmed.json.device_session_id).toMatch(/^ds_[0-9a-f]+$/);
    expect(confirmed.json.user_id).toMatch(/^u_[0-9a-f]+$/);

    const session = await call(base, "GET", `/api/v1/internal/sessions/${confirmed.json.device_session_id}`);
    expect(session.status).toBe(200);
    expect(session.json).toEqual({
      device_session_id: confirmed.json.device_session_id,
      user_id: confirmed.json.user_id,
      client_public_key: key,
      status: "active",
      created_at_ms: clock,
    });
  });

  it("keys users by normalized email: a second sign-in is the same user with a new session", async () => {
    const first = await signIn(base, "bob@example.com");
    const second = await signIn(base, " BOB@example.com");
    expect(second.userId).toBe(first.userId);
    expect(second.deviceSessionId).not.toBe(first.deviceSessionId);
  });

  it("answers a wrong code with 401 invalid_code, and the right code still works afterwards", async () => {
    const { code, challenge_id } = await challengeFor("carol@example.com");
    const bad = await call(base, "POST", CONFIRM, { challenge_id, code: wrong(code), client_public_key: newPublicKey() });
    expectError(bad, 401, "invalid_code");
    const good = await call(base, "POST", CONFIRM, { challenge_id, code, client_public_key: newPublicKey() });
    expect(good.status).toBe(200);
  });

  it(`kills the challenge after ${MAX_CODE_ATTEMPTS} wrong codes: the last wrong try and every later one get 429`, async () => {
    const { code, challenge_id } = await challengeFor("dave@example.com");
    const attempt = (c: string) => call(base, "POST", CONFIRM, { challenge_id, code: c, client_public_key: newPublicKey() });
    for (let i = 1; i < MAX_CODE_ATTEMPTS; i++) expectError(await attempt(wrong(code)), 401, "invalid_code");
    expectError(await attempt(wrong(code)), 429, "too_many_attempts");
    expectError(await attempt(code), 429, "too_many_attempts");
    expectError(await attempt(wrong(code)), 429, "too_many_attempts");
  });

  it("expires codes after CHALLENGE_TTL_MS with 410 challenge_expired", async () => {
    const { code, challenge_id } = await challengeFor("erin@example.com");
    clock += CHALLENGE_TTL_MS;
    const late = await call(base, "POST", CONFIRM, { challenge_id, code, client_public_key: newPublicKey() });
    expectError(late, 410, "challenge_expired");

    const fresh = await challengeFor("erin@example.com");
    clock += CHALLENGE_TTL_MS - 1;
    const justInTime = await call(base, "POST", CONFIRM, { ...fresh, client_public_key: newPublicKey() });
    expect(justInTime.status).toBe(200);
  });

  it("lets a challenge be used once", async () => {
    const { code, challenge_id } = await challengeFor("frank@example.com");
    expect((await call(base, "POST", CONFIRM, { challenge_id, code, client_public_key: newPublicKey() })).status).toBe(200);
    const again = await call(base, "POST", CONFIRM, { challenge_id, code, client_public_key: newPublicKey() });
    expectError(again, 410, "challenge_expired");
  });

  it("rejects an unknown challenge with 400 invalid_request", async () => {
    const reply = await call(base, "POST", CONFIRM, { challenge_id: "ch_nope", code: "123456", client_public_key: newPublicKey() });
    expectError(reply, 400, "invalid_request");
    expect(reply.json.error.message).toMatch(/unknown challenge/);
  });

  it("rejects invalid client keys with 400 without consuming an attempt", async () => {
    const { code, challenge_id } = await challengeFor("grace@example.com");
    const identity = new Uint8Array(32);
    identity[0] = 1; // the identity point: small order
    const badKeys = [
      "not base64!",
      toBase64Url(new Uint8Array(31).fill(7)),
      toBase64Url(identity),
      toBase64Url(new Uint8Array(32).fill(0xff)), // non-canonical encoding
      newPublicKey() + "=",
      42,
    ];
    for (const client_public_key of badKeys) {
      expectError(await call(base, "POST", CONFIRM, { challenge_id, code, client_public_key }), 400, "invalid_request");
    }
    for (let i = 0; i < MAX_CODE_ATTEMPTS + 1; i++) {
      expectError(await call(base, "POST", CONFIRM, { challenge_id, code, client_public_key: "AAAA" }), 400, "invalid_request");
    }
    expect((await call(base, "POST", CONFIRM, { challenge_id, code, client_public_key: newPublicKey() })).status).toBe(200);
  });

  it("validates shapes with 400 invalid_request", async () => {
    for (const body of [{}, { email: 5 }, { email: "no-at-sign" }, { email: "" }, ["a@b.c"], "a@b.c", null]) {
      expectError(await call(base, "POST", SEND, body), 400, "invalid_request");
    }
    const { challenge_id } = await challengeFor("heidi@example.com");
    for (const code of ["12345", "1234567", "abcdef", 123456]) {
      expectError(await call(base, "POST", CONFIRM, { challenge_id, code, client_public_key: newPublicKey() }), 400, "invalid_request");
    }
    expectError(await call(base, "POST", CONFIRM, { code: "123456", client_public_key: newPublicKey() }), 400, "invalid_request");
  });
});

describe("internal session lookup", () => {
  it("answers 404 not_found for an unknown session", async () => {
    expectError(await call(base, "GET", "/api/v1/internal/sessions/ds_unknown"), 404, "not_found");
  });
});
