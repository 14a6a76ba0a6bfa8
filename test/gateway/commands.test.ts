// ExecuteCommand end to end on every protocol and transport: signed in through the public REST,
// signed requests, responses verified by the client, business errors as signed answers.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fromUtf8 } from "../../src/shared/bytes.js";
import { executeCommandRequest, verifyResponse } from "../../src/shared/sdk.js";
import type { RunningEmulator } from "../../src/emulator/start.js";
import { edgeClient, gatewayPublicKey, signIn, startTestEmulator, TRANSPORT_NAMES, type SignedInDevice } from "../support/emulator.js";

let emulator: RunningEmulator;
let gatewayKey: Uint8Array;
let alice: SignedInDevice;
let bob: SignedInDevice;

beforeAll(async () => {
  emulator = await startTestEmulator();
  gatewayKey = await gatewayPublicKey(emulator.url);
  alice = await signIn(emulator.url);
  bob = await signIn(emulator.url);
});
afterAll(() => emulator.close());

describe.each(TRANSPORT_NAMES)("ExecuteCommand over %s", (transport) => {
  it("answers user.profile.get with a signed ok response the client verifies", async () => {
    const client = edgeClient(emulator.url, transport);
    const req = executeCommandRequest(alice, { messageType: "user.profile.get" });
    const res = await client.executeCommand(req);
    expect(verifyResponse(res, gatewayKey, { deviceSessionId: alice.deviceSessionId, requestId: req.envelope!.requestId })).toEqual({ ok: true });
    expect(res.envelope!.resultCode).toBe("ok");
    expect(JSON.parse(fromUtf8(res.payloadBytes))).toMatchObject({ user_id: alice.userId, email: alice.email });
  });

  it("returns a business error as a signed answer with result_code = error.code", async () => {
    const client = edgeClient(emulator.url, transport);
    const req = executeCommandRequest(alice, {
      messageType: "game.fleet.dispatch",
      payload: { from_planet: "earth", to_planet: "mars", ships: 1_000_000 },
    });
    const res = await client.executeCommand(req);
    expect(verifyResponse(res, gatewayKey)).toEqual({ ok: true });
    expect(res.envelope!.resultCode).toBe("insufficient_ships");
    expect(JSON.parse(fromUtf8(res.payloadBytes)).error.code).toBe("insufficient_ships");
  });
});

describe("routed commands", () => {
  const client = () => edgeClient(emulator.url);
  const send = async (device: SignedInDevice, messageType: string, payload?: unknown) => {
    const res = await client().executeCommand(executeCommandRequest(device, { messageType, payload }));
    expect(verifyResponse(res, gatewayKey)).toEqual({ ok: true });
    return { resultCode: res.envelope!.resultCode, body: res.payloadBytes.length ? JSON.parse(fromUtf8(res.payloadBytes)) : undefined };
  };

  it("updates the profile (PATCH) and reads it back (GET)", async () => {
    expect((await send(alice, "user.profile.update", { display_name: "Zoë ★" })).resultCode).toBe("ok");
    expect((await send(alice, "user.profile.get")).body.display_name).toBe("Zoë ★");
  });

  it("lists sessions and dispatches a fleet", async () => {
    const sessions = await send(alice, "user.sessions.list");
    expect(sessions.body.sessions.map((s: any) => s.device_session_id)).toContain(alice.deviceSessionId);
    const fleet = await send(bob, "game.fleet.dispatch", { from_planet: "earth", to_planet: "mars", ships: 10 });
    expect(fleet.resultCode).toBe("ok");
    expect(fleet.body.ships).toBe(10);
  });

  it("sends chat, and answers not_found for an unknown recipient", async () => {
    expect((await send(alice, "game.chat.send", { to_user_id: bob.userId, text: "o7" })).body.delivered).toBe(true);
    expect((await send(alice, "game.chat.send", { to_user_id: "u_nobody", text: "o7" })).resultCode).toBe("not_found");
  });
});
