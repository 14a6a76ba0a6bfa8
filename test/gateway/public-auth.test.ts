// The public auth of §3 through the real gateway and mock backend: the happy path is in the
// harness's signIn; here the errors a client sees, with their status and code.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toBase64Url } from "../../src/shared/bytes.js";
import { generateSeed, publicKeyFromSeed } from "../../src/shared/ed25519.js";
import type { RunningEmulator } from "../../src/emulator/start.js";
import { getJson, patchConfig, postJson, startTestEmulator } from "../support/emulator.js";

let emulator: RunningEmulator;
const SEND = "/api/v1/public/auth/send-email-code";
const CONFIRM = "/api/v1/public/auth/confirm-email-code";
const key = () => toBase64Url(publicKeyFromSeed(generateSeed()));

beforeAll(async () => {
  emulator = await startTestEmulator();
});
afterAll(() => emulator.close());

async function challenge(email: string): Promise<{ challengeId: string; code: string }> {
  const sent = await postJson(emulator.url + SEND, { email });
  const mail = await getJson(`${emulator.url}/emulator/v1/mailbox?email=${encodeURIComponent(email)}`);
  return { challengeId: sent.json.challenge_id, code: mail.json.messages.at(-1).code };
}

const wrong = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, "0");

describe("public auth errors through the gateway", () => {
  it("a wrong code → 401 invalid_code; the right one still works", async () => {
    const { challengeId, code } = await challenge("wrong@example.com");
    const bad = await postJson(emulator.url + CONFIRM, { challenge_id: challengeId, code: wrong(code), client_public_key: key() });
    expect([bad.status, bad.json.error.code]).toEqual([401, "invalid_code"]);
    const good = await postJson(emulator.url + CONFIRM, { challenge_id: challengeId, code, client_public_key: key() });
    expect(good.status).toBe(200);
    const reused = await postJson(emulator.url + CONFIRM, { challenge_id: challengeId, code, client_public_key: key() });
    expect([reused.status, reused.json.error.code]).toEqual([410, "challenge_expired"]);
  });

  it("the 5th wrong code kills the challenge → 429 too_many_attempts, even for the right code", async () => {
    const { challengeId, code } = await challenge("guesser@example.com");
    const statuses = [];
    for (let i = 0; i < 5; i++) {
      statuses.push((await postJson(emulator.url + CONFIRM, { challenge_id: challengeId, code: wrong(code), client_public_key: key() })).json.error.code);
    }
    expect(statuses).toEqual(["invalid_code", "invalid_code", "invalid_code", "invalid_code", "too_many_attempts"]);
    const right = await postJson(emulator.url + CONFIRM, { challenge_id: challengeId, code, client_public_key: key() });
    expect([right.status, right.json.error.code]).toEqual([429, "too_many_attempts"]);
  });

  it.each([
    ["not JSON", "{", "application/json", 400, "invalid_request"],
    ["bad email", JSON.stringify({ email: "not-an-email" }), "application/json", 400, "invalid_request"],
    ["extra field", JSON.stringify({ email: "a@example.com", admin: true }), "application/json", 400, "invalid_request"],
    ["text/plain", JSON.stringify({ email: "a@example.com" }), "text/plain", 415, "unsupported_media_type"],
    ["5 KiB body", JSON.stringify({ email: "a@example.com", pad: "x".repeat(5000) }), "application/json", 413, "payload_too_large"],
  ])("send-email-code with %s → %i %s", async (_name, body, contentType, status, code) => {
    const res = await postJson(emulator.url + SEND, body, { "content-type": contentType });
    expect([res.status, res.json.error.code]).toEqual([status, code]);
  });

  it("a small-order client key → 400 invalid_request", async () => {
    const { challengeId, code } = await challenge("torsion@example.com");
    const identity = new Uint8Array(32);
    identity[0] = 1;
    const res = await postJson(emulator.url + CONFIRM, { challenge_id: challengeId, code, client_public_key: toBase64Url(identity) });
    expect([res.status, res.json.error.code]).toEqual([400, "invalid_request"]);
  });

  it("per-email budget → 429 rate_limited with Retry-After", async () => {
    for (let i = 0; i < 5; i++) expect((await postJson(emulator.url + SEND, { email: "spam@example.com" })).status).toBe(200);
    const res = await postJson(emulator.url + SEND, { email: "SPAM@example.com" });
    expect([res.status, res.json.error.code]).toEqual([429, "rate_limited"]);
    expect(Number(res.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
  });

  it("backend down → 503 backend_unavailable; back up → 200", async () => {
    await patchConfig(emulator.url, { backend: "http://127.0.0.1:9" });
    const down = await postJson(emulator.url + SEND, { email: "down@example.com" });
    expect([down.status, down.json.error.code]).toEqual([503, "backend_unavailable"]);
    await patchConfig(emulator.url, { backend: "mock" });
    expect((await postJson(emulator.url + SEND, { email: "down@example.com" })).status).toBe(200);
  });
});
