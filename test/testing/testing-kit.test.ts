// The testing kit as a client's test suite uses it: imported by the package's own name (the built
// dist/, through package.json "exports": `npm test` builds before it runs the tests), an emulator per
// suite, clients signed in through the mailbox, pushes, the journal as the verify API, reset and close.
import { existsSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GatewayCallError } from "galaxy-gateway-emulator/sdk";
import { ControlPlaneError, startTestEmulator, type TestEmulator } from "galaxy-gateway-emulator/testing";

const T = 30_000;
let emulator: TestEmulator;

beforeAll(async () => {
  emulator = await startTestEmulator();
}, T);
afterAll(async () => {
  await emulator?.close();
});

describe("startTestEmulator", () => {
  it("signs a client in through the mailbox; the call it makes is in the journal with every stage passed", async () => {
    const client = await emulator.signIn("kit-pilot@example.com");
    expect(client.baseUrl).toBe(emulator.url);
    const answer = await client.execute("game.fleet.dispatch", { from_planet: "earth", to_planet: "mars", ships: 3 });
    expect(answer).toMatchObject({ ok: true, payload: { ships_remaining: 97 } });
    const calls = await emulator.journal.find({ client, messageType: "game.fleet.dispatch" });
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ rpc: "ExecuteCommand", code: "ok", result_code: "ok", request_id: answer.requestId });
    expect(calls[0]!.stages.map((s) => s.stage)).toEqual([
      "envelope", "session", "payload_hash", "signature", "freshness", "replay", "rate_limit", "routing", "backend",
    ]);
    expect(calls[0]!.stages.every((s) => s.ok)).toBe(true);
  }, T);

  it("finds a rejected call by its failed stage", async () => {
    const client = await emulator.signIn();
    const before = (await emulator.journal.entries()).at(-1)?.seq ?? 0;
    const error = await client.execute("game.unknown.command", {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GatewayCallError);
    const rejected = await emulator.journal.find({ afterSeq: before, failedStage: "routing" });
    expect(rejected).toMatchObject([{ message_type: "game.unknown.command", code: "unimplemented", reason: "unknown_message_type" }]);
    expect(await emulator.journal.find({ afterSeq: before, failedStage: "signature" })).toEqual([]);
  }, T);

  it("refuses a filter key it does not know (a misspelt one would match every call)", async () => {
    const misspelt = { afterSeq: 0, messagetype: "game.fleet.dispatch" } as unknown as Parameters<typeof emulator.journal.find>[0];
    await expect(emulator.journal.find(misspelt)).rejects.toThrow(/unknown key "messagetype"/);
  }, T);

  it("pushes an event to a signed-in client and revokes its session", async () => {
    const client = await emulator.signIn();
    const { userId, deviceSessionId } = client.device!;
    const stream = client.subscribe();
    expect((await stream.next()).value).toMatchObject({ eventType: "gateway.server_time" });
    const { eventId } = await emulator.push({ userId, eventType: "game.match.found", payload: { match_id: "m1" } });
    expect((await stream.next()).value).toMatchObject({ eventId, eventType: "game.match.found", payload: { match_id: "m1" } });
    await emulator.revoke({ userId, deviceSessionId });
    expect(await stream.next().catch((e: unknown) => e)).toMatchObject({ reason: "session_revoked" });
  }, T);

  it("resets sessions and journal", async () => {
    const client = await emulator.signIn();
    await client.execute("user.profile.get");
    await emulator.reset();
    expect(await emulator.journal.entries()).toEqual([]);
    expect(await client.execute("user.profile.get").catch((e: unknown) => e)).toMatchObject({ code: "unauthenticated", reason: "unknown_session" });
  }, T);

  it("raises the rate limits a suite would hit, unless asked not to", async () => {
    const client = await emulator.signIn();
    for (let i = 0; i < 30; i++) expect(await client.execute("user.profile.get")).toMatchObject({ ok: true });
    const strict = await startTestEmulator({ productionRateLimits: true });
    try {
      const limited = await strict.signIn();
      const outcomes: string[] = [];
      // The default per-type budget is 20 in a burst (src/gateway/config.ts): at most 30 tries.
      for (let i = 0; i < 30 && outcomes.at(-1) !== "rate_limited"; i++) {
        outcomes.push(await limited.execute("user.profile.get").then(() => "ok", (e: GatewayCallError) => e.reason ?? e.code));
      }
      expect(outcomes.at(-1)).toBe("rate_limited");
    } finally {
      await strict.close();
    }
  }, T);

  it("sends the control-plane token when the emulator requires one", async () => {
    const accessToken = "kit-token-0123456789";
    const guarded = await startTestEmulator({ accessToken });
    try {
      expect((await fetch(`${guarded.url}/emulator/v1/journal`)).status).toBe(401);
      const client = await guarded.signIn("guarded@example.com");
      await client.execute("user.profile.get");
      expect(await guarded.journal.find({ client })).toHaveLength(1);
    } finally {
      await guarded.close();
    }
  }, T);

  it("throws a ControlPlaneError naming the bad setting", async () => {
    const error = await emulator.config.patch({ freshness_window_ms: 0 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ControlPlaneError);
    expect(error).toMatchObject({ status: 400, code: "invalid_request", message: expect.stringContaining("freshness_window_ms") });
  }, T);

  it("stops and removes its state directory on close", async () => {
    const other = await startTestEmulator();
    expect(existsSync(other.stateDir)).toBe(true);
    expect((await fetch(`${other.url}/healthz`)).status).toBe(200);
    await other.close();
    expect(existsSync(other.stateDir)).toBe(false);
    await expect(fetch(`${other.url}/healthz`)).rejects.toThrow();
  }, T);
});
