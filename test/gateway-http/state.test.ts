// GET/PUT /emulator/v1/state and POST /emulator/v1/sessions on a real emulator (issue 13, items 2 and 3):
// the document holds what it promises, a bad one is refused with its path and changes nothing, a state
// bigger than the control plane's usual 64 KiB goes through, and a seeded session signs calls.
import { mkdirSync, rmSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { toBase64Url } from "../../src/shared/bytes.js";
import { generateSeed, publicKeyFromSeed } from "../../src/shared/ed25519.js";
import type { RunningEmulator } from "../../src/emulator/start.js";
import { executeCommandRequest } from "../../src/shared/sdk.js";
import { edgeClient, gatewayPublicKey, getJson, postJson, signIn, startTestEmulator, tempDir } from "../support/emulator.js";
import { signedCall } from "../support/signed-call.js";

const running: RunningEmulator[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((e) => e.close()));
});

async function emulator(): Promise<RunningEmulator> {
  const e = await startTestEmulator();
  running.push(e);
  return e;
}

async function putState(url: string, document: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(`${url}/emulator/v1/state`, {
    method: "PUT",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(document),
  });
  return { status: res.status, json: await res.json() };
}

/** The state minus what changes by itself between two reads (the export and save times). */
async function stableState(url: string): Promise<unknown> {
  const { json } = await getJson(`${url}/emulator/v1/state`);
  delete json.exported_at_ms;
  delete json.backend.saved_at_ms;
  return json;
}

describe("GET /emulator/v1/state", () => {
  it("answers one versioned document: gateway key pair and config, users, sessions with keys and revoked flags, push log ids", async () => {
    const e = await emulator();
    const device = await signIn(e.url);
    const other = await signIn(e.url);
    await postJson(`${e.url}/emulator/v1/push`, { session_invalidation: { user_id: other.userId, reason: "test" } });

    const { status, json } = await getJson(`${e.url}/emulator/v1/state`);
    expect(status).toBe(200);
    expect(json.version).toBe(1);
    expect(json.gateway.signing_key.public_key).toBe(toBase64Url(await gatewayPublicKey(e.url)));
    expect(toBase64Url(publicKeyFromSeed(Buffer.from(json.gateway.signing_key.seed, "base64url")))).toBe(json.gateway.signing_key.public_key);
    expect(json.gateway.config.public_rate_limits.per_ip).toEqual({ rate_per_s: 1000, burst: 10_000 });
    expect(json.backend.store.users.map((u: any) => u.email)).toEqual(expect.arrayContaining([device.email, other.email]));
    const sessions = Object.fromEntries(json.backend.store.sessions.map((s: any) => [s.device_session_id, s]));
    expect(sessions[device.deviceSessionId]).toMatchObject({ client_public_key: toBase64Url(publicKeyFromSeed(device.seed)), status: "active" });
    expect(sessions[other.deviceSessionId]).toMatchObject({ status: "revoked" });
    expect(json.backend.store.mailbox.map((m: any) => m.email)).toEqual(expect.arrayContaining([device.email, other.email]));
    expect(json.backend.store.challenges).toHaveLength(2);
    expect(json.backend.push.last_id).toBe(1);
  });
});

describe("PUT /emulator/v1/state", () => {
  const badDocuments: [string, (doc: any) => void, RegExp][] = [
    ["an unknown version", (doc) => (doc.version = 2), /^version: must be 1/],
    ["a bad setting", (doc) => (doc.gateway.config.freshness_window_ms = 0), /^gateway\.config\.freshness_window_ms: /],
    ["a short key seed", (doc) => (doc.gateway.signing_key.seed = "AAAA"), /^gateway\.signing_key\.seed: /],
    [
      "a session key that is not an Ed25519 key",
      (doc) => (doc.backend.store.sessions[0].client_public_key = "not-a-key"),
      /^backend\.store\.sessions\[0\]\.client_public_key: /,
    ],
    ["a session of no user", (doc) => (doc.backend.store.sessions[0].user_id = "u_nobody"), /^backend\.store\.sessions\[0\]\.user_id: /],
    ["an unknown field", (doc) => (doc.backend.store.extra = []), /^backend\.store\.extra: unknown field/],
  ];

  it.each(badDocuments)("%s: 400 naming the path, and nothing changed", async (_name, spoil, message) => {
    const e = await emulator();
    const device = await signIn(e.url);
    const pinned = await gatewayPublicKey(e.url);
    const before = await stableState(e.url);
    const other = await emulator();
    await signIn(other.url);
    const document = (await getJson(`${other.url}/emulator/v1/state`)).json;
    spoil(document);

    const answer = await putState(e.url, document);
    expect(answer.status).toBe(400);
    expect(answer.json.error.code).toBe("invalid_request");
    expect(answer.json.error.message).toMatch(message);
    expect(await stableState(e.url)).toEqual(before);
    expect(await signedCall(e.url, device, pinned)).toEqual({ resultCode: "ok", verification: { ok: true } });
  });

  it("replaces the whole state: the other emulator's key, config and sessions, its own users gone", async () => {
    const source = await emulator();
    const target = await emulator();
    const seeded = await signIn(source.url);
    const sourceKey = await gatewayPublicKey(source.url);
    const gone = await signIn(target.url);
    // Game state too: every ship in flight leaves a planet parked at 0.
    const dispatch = executeCommandRequest(seeded, { messageType: "game.fleet.dispatch", payload: { from_planet: "earth", to_planet: "mars", ships: 100 } });
    expect((await edgeClient(source.url).executeCommand(dispatch)).envelope?.resultCode).toBe("ok");
    const document = (await getJson(`${source.url}/emulator/v1/state`)).json;

    expect(await putState(target.url, document)).toEqual({ status: 200, json: {} });
    const games = async (url: string) => (await getJson(`${url}/emulator/v1/state`)).json.backend.store.users.map((u: any) => u.game);
    expect(await games(target.url)).toEqual(await games(source.url));
    expect(await gatewayPublicKey(target.url)).toEqual(sourceKey);
    expect(await signedCall(target.url, seeded, sourceKey)).toEqual({ resultCode: "ok", verification: { ok: true } });
    const state = (await getJson(`${target.url}/emulator/v1/state`)).json;
    expect(state.backend.store.users.map((u: any) => u.email)).not.toContain(gone.email);
  });

  it("when the gateway key cannot be written after the backend took the new state: the backend's is put back, nothing changed", async () => {
    const stateDir = tempDir();
    const e = await startTestEmulator({ stateDir });
    running.push(e);
    const device = await signIn(e.url);
    const pinned = await gatewayPublicKey(e.url);
    const before = await stableState(e.url);
    const other = await emulator();
    await signIn(other.url);
    const document = (await getJson(`${other.url}/emulator/v1/state`)).json;
    // A folder where the key file goes: the atomic rename over it fails, even for root.
    rmSync(path.join(stateDir, "gateway-key.json"));
    mkdirSync(path.join(stateDir, "gateway-key.json", "occupied"), { recursive: true });

    const answer = await putState(e.url, document);
    expect(answer.status).toBe(500);
    expect(answer.json.error.message).toMatch(/^the gateway key could not be written \(.*\); nothing changed$/);
    expect(await stableState(e.url)).toEqual(before);
    expect(await signedCall(e.url, device, pinned)).toEqual({ resultCode: "ok", verification: { ok: true } });
  });

  it("push event ids never go back: a document behind the live push log keeps the live counter", async () => {
    const e = await emulator();
    const empty = (await getJson(`${e.url}/emulator/v1/state`)).json;
    const device = await signIn(e.url);
    for (let i = 0; i < 3; i++) await postJson(`${e.url}/emulator/v1/push`, { client_event: { user_id: device.userId, event_type: "t" } });
    expect((await putState(e.url, empty)).status).toBe(200);
    const next = await postJson(`${e.url}/emulator/v1/push`, { client_event: { user_id: device.userId, event_type: "t" } });
    expect(next.json.event_id).toBe("4");
  });

  it("takes a state larger than the control plane's 64 KiB body limit (a full mailbox)", async () => {
    const e = await emulator();
    const document = (await getJson(`${e.url}/emulator/v1/state`)).json;
    document.backend.store.mailbox = Array.from({ length: 1_000 }, (_, i) => ({
      email: `pilot-${i}@example.com`,
      code: "123456",
      challenge_id: `ch_${"0".repeat(32)}${i}`,
      sent_at_ms: 1,
    }));
    expect(JSON.stringify(document).length).toBeGreaterThan(64 * 1024);
    expect((await putState(e.url, document)).status).toBe(200);
    const { json } = await getJson(`${e.url}/emulator/v1/mailbox?email=pilot-999@example.com`);
    expect(json.messages).toHaveLength(1);
  });
});

describe("POST /emulator/v1/sessions", () => {
  it("makes a device session without the e-mail round trip; it signs calls", async () => {
    const e = await emulator();
    const seed = generateSeed();
    const seeded = await postJson(`${e.url}/emulator/v1/sessions`, {
      email: "seeded@example.com",
      client_public_key: toBase64Url(publicKeyFromSeed(seed)),
    });
    expect(seeded.status).toBe(200);
    expect(seeded.json).toEqual({ user_id: expect.any(String), device_session_id: expect.any(String) });
    const { json: mailbox } = await getJson(`${e.url}/emulator/v1/mailbox?email=seeded@example.com`);
    expect(mailbox.messages).toEqual([]);

    const device = { deviceSessionId: seeded.json.device_session_id, seed };
    expect(await signedCall(e.url, device, await gatewayPublicKey(e.url))).toEqual({ resultCode: "ok", verification: { ok: true } });
    // The same user as a sign-in with that e-mail would get.
    const again = await postJson(`${e.url}/emulator/v1/sessions`, { email: "Seeded@Example.com", client_public_key: toBase64Url(publicKeyFromSeed(seed)) });
    expect(again.json.user_id).toBe(seeded.json.user_id);
  });

  it.each([
    ["not base64url", "not a key!"],
    ["32 bytes that are no curve point", "_________________________________________38"],
    ["too short", "AAAA"],
  ])("a bad key (%s): the same answer as confirm-email-code's", async (_name, badKey) => {
    const e = await emulator();
    const confirm = await postJson(`${e.url}/api/v1/public/auth/confirm-email-code`, {
      challenge_id: "ch_0",
      code: "123456",
      client_public_key: badKey,
    });
    const seeded = await postJson(`${e.url}/emulator/v1/sessions`, { email: "seeded@example.com", client_public_key: badKey });
    expect(confirm.status).toBe(400);
    expect(seeded).toMatchObject({ status: confirm.status, json: confirm.json });
    expect(seeded.json.error.message).toMatch(/^client_public_key: /);
  });
});
