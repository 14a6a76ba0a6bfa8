// The client SDK (src/sdk) in Node against a real emulator: sign-in through the public REST, signed
// commands verified against the pinned key, business errors as signed answers, rejections as typed
// GatewayCallErrors, verified events, revocation, the learned clock offset, device export/import.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningEmulator } from "../../src/emulator/start.js";
import { toBase64Url } from "../../src/shared/bytes.js";
import { generateSeed, publicKeyFromSeed } from "../../src/shared/ed25519.js";
import { createGatewayClient, GatewayCallError, GatewayHttpError, VerificationError, type GatewayClient } from "../../src/sdk/index.js";
import { getJson, patchConfig, postJson, startTestEmulator } from "../support/emulator.js";

const T = 30_000;
let emulator: RunningEmulator;

async function mailedCode(email: string, challengeId: string): Promise<string> {
  const mailbox = await getJson(`${emulator.url}/emulator/v1/mailbox?email=${encodeURIComponent(email)}`);
  return mailbox.json.messages.findLast((m: { challenge_id: string }) => m.challenge_id === challengeId).code;
}

async function signedIn(email: string, protocol: "connect" | "grpcweb" = "connect"): Promise<GatewayClient> {
  const client = createGatewayClient({ baseUrl: emulator.url, protocol });
  const { challengeId } = await client.sendEmailCode(email);
  await client.confirmEmailCode(challengeId, await mailedCode(email, challengeId));
  return client;
}

async function push(body: unknown): Promise<string> {
  const res = await postJson(`${emulator.url}/emulator/v1/push`, body);
  expect(res.status).toBe(200);
  return res.json.event_id;
}

beforeAll(async () => {
  emulator = await startTestEmulator();
}, T);
afterAll(async () => {
  await emulator?.close();
});

describe("createGatewayClient in Node", () => {
  it.each(["connect", "grpcweb"] as const)("signs in and runs a default route over %s, the answer verified and typed", async (protocol) => {
    const client = await signedIn(`sdk-${protocol}@example.com`, protocol);
    expect(client.device?.deviceSessionId).toMatch(/./);
    const profile = await client.execute("user.profile.get");
    expect(profile.ok).toBe(true);
    if (!profile.ok) throw new Error("unreachable");
    expect(profile.payload.email).toBe(`sdk-${protocol}@example.com`);
    expect(profile.payload.user_id).toBe(client.device?.userId);
    const fleet = await client.execute("game.fleet.dispatch", { from_planet: "earth", to_planet: "mars", ships: 10 });
    expect(fleet).toMatchObject({ ok: true, resultCode: "ok", payload: { ships: 10, ships_remaining: 90, to_planet: "mars" } });
  }, T);

  it("returns a business error as a signed answer, not an exception", async () => {
    const client = await signedIn("sdk-business@example.com");
    const answer = await client.execute("game.fleet.dispatch", { from_planet: "earth", to_planet: "earth", ships: 1 });
    expect(answer).toMatchObject({ ok: false, resultCode: "same_planet", error: { code: "same_planet" } });
  }, T);

  it("throws a GatewayCallError with code, reason and stage for a rejection", async () => {
    const client = await signedIn("sdk-reject@example.com");
    const error = await client.execute("no.such.type", {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GatewayCallError);
    expect(error).toMatchObject({ code: "unimplemented", reason: "unknown_message_type", stage: "routing" });
    expect((error as GatewayCallError).serverTimeMs).toBeGreaterThan(0);
  }, T);

  it("reads retry_after_ms of a rate-limited call", async () => {
    const client = await signedIn("sdk-limited@example.com");
    await patchConfig(emulator.url, { rate_limits: { per_message_type: { rate_per_s: 0.001, burst: 1 } } });
    try {
      await client.execute("user.sessions.list");
      const error = await client.execute("user.sessions.list").catch((e: unknown) => e);
      expect(error).toMatchObject({ code: "resource_exhausted", reason: "rate_limited", stage: "rate_limit" });
      expect((error as GatewayCallError).retryAfterMs).toBeGreaterThan(0);
    } finally {
      await patchConfig(emulator.url, { rate_limits: { per_message_type: { rate_per_s: 1000, burst: 10_000 } } });
    }
  }, T);

  it("throws a GatewayHttpError with the §3 code for a wrong e-mail code", async () => {
    const client = createGatewayClient({ baseUrl: emulator.url });
    const { challengeId } = await client.sendEmailCode("sdk-wrong@example.com");
    const right = await mailedCode("sdk-wrong@example.com", challengeId);
    const wrong = right === "000000" ? "111111" : "000000";
    const error = await client.confirmEmailCode(challengeId, wrong).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GatewayHttpError);
    expect(error).toMatchObject({ status: 401, code: "invalid_code" });
    expect(client.device).toBeUndefined();
  }, T);

  it("refuses an answer signed by a key other than the pinned one", async () => {
    const client = await signedIn("sdk-pinned@example.com");
    const impostorKey = toBase64Url(publicKeyFromSeed(generateSeed()));
    const pinnedElsewhere = createGatewayClient({ baseUrl: emulator.url, device: { ...client.exportDevice(), gateway_public_key: impostorKey } });
    const error = await pinnedElsewhere.execute("user.profile.get").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VerificationError);
    expect((error as VerificationError).problem).toBe("bad signature");
  }, T);

  it("gets a pushed event verified, then ends with session_revoked", async () => {
    const client = await signedIn("sdk-events@example.com");
    const userId = client.device!.userId;
    const stream = client.subscribe();
    const first = await stream.next();
    expect(first.value).toMatchObject({ eventType: "gateway.server_time" });
    const eventId = await push({ client_event: { user_id: userId, event_type: "game.test.ping", payload: { n: 1 } } });
    const pushed = await stream.next();
    expect(pushed.value).toMatchObject({ eventId, eventType: "game.test.ping", payload: { n: 1 } });
    await push({ session_invalidation: { user_id: userId, device_session_id: client.device!.deviceSessionId, reason: "test" } });
    const end = await stream.next().catch((e: unknown) => e);
    expect(end).toBeInstanceOf(GatewayCallError);
    expect(end).toMatchObject({ code: "failed_precondition", reason: "session_revoked" });
    const after = await client.execute("user.profile.get").catch((e: unknown) => e);
    expect(after).toMatchObject({ reason: "session_revoked", stage: "session" });
  }, T);

  it("ends the iteration quietly when its signal aborts", async () => {
    const client = await signedIn("sdk-abort@example.com");
    const abort = new AbortController();
    const types: string[] = [];
    for await (const event of client.subscribe({ signal: abort.signal })) {
      types.push(event.eventType);
      abort.abort();
    }
    expect(types).toEqual(["gateway.server_time"]);
  }, T);

  it("learns the gateway's clock from gateway.server_time", async () => {
    const client = await signedIn("sdk-clock@example.com");
    const aheadMs = 30_000; // inside the 60 s window: the subscription passes, then tells the clock
    await patchConfig(emulator.url, { clock_offset_ms: aheadMs });
    try {
      expect(client.clockOffsetMs).toBeLessThan(aheadMs / 2);
      const stream = client.subscribe();
      expect((await stream.next()).value).toMatchObject({ eventType: "gateway.server_time" });
      await stream.return(undefined);
      expect(client.clockOffsetMs).toBeGreaterThan(aheadMs / 2);
    } finally {
      await patchConfig(emulator.url, { clock_offset_ms: 0 });
    }
  }, T);

  it("re-signs a stale call or subscription once with the gateway clock the rejection told", async () => {
    const caller = await signedIn("sdk-stale@example.com");
    const subscriber = await signedIn("sdk-stale-sub@example.com");
    const aheadMs = 10 * 60_000; // far outside the 60 s freshness window
    await patchConfig(emulator.url, { clock_offset_ms: aheadMs });
    try {
      expect(await caller.execute("user.profile.get")).toMatchObject({ ok: true });
      const stream = subscriber.subscribe();
      expect((await stream.next()).value).toMatchObject({ eventType: "gateway.server_time" });
      await stream.return(undefined);
      const journal = await getJson(`${emulator.url}/emulator/v1/journal`);
      const of = (client: GatewayClient) =>
        journal.json.entries
          .filter((e: { device_session_id: string }) => e.device_session_id === client.device!.deviceSessionId)
          .map((e: { rpc: string; reason?: string }) => `${e.rpc} ${e.reason ?? "ok"}`);
      expect(of(caller)).toEqual(["ExecuteCommand stale_request", "ExecuteCommand ok"]);
      expect(of(subscriber)).toEqual(["SubscribeEvents stale_request", "SubscribeEvents ok"]);
    } finally {
      await patchConfig(emulator.url, { clock_offset_ms: 0 });
    }
  }, T);

  it("keeps working from an exported device in a new client", async () => {
    const client = await signedIn("sdk-export@example.com");
    const saved = JSON.parse(JSON.stringify(client.exportDevice()));
    const restored = createGatewayClient({ baseUrl: emulator.url, protocol: "grpcweb" });
    restored.importDevice(saved);
    expect(restored.device).toEqual(client.device);
    expect(await restored.execute("user.profile.get")).toMatchObject({ ok: true, payload: { email: "sdk-export@example.com" } });
    const fromOptions = createGatewayClient({ baseUrl: emulator.url, device: saved });
    expect(await fromOptions.execute("user.profile.update", { display_name: "Restored" })).toMatchObject({ ok: true, payload: { display_name: "Restored" } });
  }, T);

  it("refuses a damaged device export, naming the field", () => {
    const client = createGatewayClient({ baseUrl: emulator.url });
    const good = { format: "galaxy-gateway-device/v1", device_session_id: "d", user_id: "u", seed: toBase64Url(generateSeed()), gateway_public_key: toBase64Url(publicKeyFromSeed(generateSeed())) };
    expect(() => client.importDevice({ ...good, seed: "abc" })).toThrow(/seed/);
    expect(() => client.importDevice({ ...good, gateway_public_key: toBase64Url(new Uint8Array(32)) })).toThrow(/gateway_public_key/);
    expect(() => client.importDevice({ ...good, format: "v0" })).toThrow(/format/);
    expect(() => createGatewayClient({ baseUrl: "ftp://x" })).toThrow(/baseUrl/);
  });
});
