// SubscribeEvents (§5) on every protocol: server_time first, pushes delivered signed with the
// backend's event id, invalidation → FAILED_PRECONDITION session_revoked, shutdown → UNAVAILABLE.
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fromUtf8 } from "../../src/shared/bytes.js";
import { GatewayErrorSchema } from "../../src/shared/gen/galaxy/gateway/v1/gateway_pb.js";
import { executeCommandRequest, subscribeEventsRequest, verifyEvent } from "../../src/shared/sdk.js";
import type { RunningEmulator } from "../../src/emulator/start.js";
import {
  edgeClient,
  gatewayPublicKey,
  postJson,
  signIn,
  startTestEmulator,
  subscribe,
  JSON_TRANSPORT_NAMES,
  TRANSPORT_NAMES,
} from "../support/emulator.js";

function detailOf(err: ConnectError) {
  return err.findDetails(GatewayErrorSchema)[0];
}

let emulator: RunningEmulator;
let gatewayKey: Uint8Array;

beforeAll(async () => {
  emulator = await startTestEmulator();
  gatewayKey = await gatewayPublicKey(emulator.url);
});
afterAll(() => emulator.close());

describe.each(TRANSPORT_NAMES)("SubscribeEvents over %s", (transport) => {
  it("sends a signed gateway.server_time first, then delivers pushes and chats, signed", async () => {
    const alice = await signIn(emulator.url);
    const bob = await signIn(emulator.url);
    const sub = subscribe(emulator.url, alice, transport);

    const first = await sub.next();
    expect(verifyEvent(first, gatewayKey)).toEqual({ ok: true });
    expect(first.envelope).toMatchObject({ eventType: "gateway.server_time", deviceSessionId: alice.deviceSessionId });
    expect(JSON.parse(fromUtf8(first.payloadBytes)).server_time_ms).toBeGreaterThan(0);

    const injected = await postJson(`${emulator.url}/emulator/v1/push`, {
      client_event: { user_id: alice.userId, event_type: "game.battle.report", payload: { won: true } },
    });
    expect(injected.status).toBe(200);
    const pushed = await sub.next();
    expect(verifyEvent(pushed, gatewayKey)).toEqual({ ok: true });
    expect(pushed.envelope).toMatchObject({ eventType: "game.battle.report", eventId: injected.json.event_id });
    expect(JSON.parse(fromUtf8(pushed.payloadBytes))).toEqual({ won: true });

    await edgeClient(emulator.url).executeCommand(
      executeCommandRequest(bob, { messageType: "game.chat.send", payload: { to_user_id: alice.userId, text: "o7 commander" } }),
    );
    const chat = await sub.next();
    expect(verifyEvent(chat, gatewayKey)).toEqual({ ok: true });
    expect(chat.envelope!.eventType).toBe("game.chat.message");
    expect(JSON.parse(fromUtf8(chat.payloadBytes))).toMatchObject({ from_user_id: bob.userId, text: "o7 commander" });
    sub.cancel();
  });

  it("ends with FAILED_PRECONDITION session_revoked on invalidation; later calls fail at the session stage", async () => {
    const carol = await signIn(emulator.url);
    const sub = subscribe(emulator.url, carol, transport);
    await sub.next();
    const injected = await postJson(`${emulator.url}/emulator/v1/push`, {
      session_invalidation: { user_id: carol.userId, device_session_id: carol.deviceSessionId, reason: "banned" },
    });
    expect(injected.status).toBe(200);
    const err = await sub.ended();
    expect(err.code).toBe(Code.FailedPrecondition);
    expect(detailOf(err)).toMatchObject({ reason: "session_revoked", stage: "push" });

    const again = await edgeClient(emulator.url, transport)
      .executeCommand(executeCommandRequest(carol, { messageType: "user.profile.get" }))
      .catch((e: unknown) => ConnectError.from(e));
    expect(again).toBeInstanceOf(ConnectError);
    expect(detailOf(again as ConnectError)).toMatchObject({ reason: "session_revoked", stage: "session" });
  });
});

it("delivers to the named device session only when the push names one", async () => {
  const dave = await signIn(emulator.url, "dave@example.com");
  const daveTablet = await signIn(emulator.url, "dave@example.com");
  expect(daveTablet.userId).toBe(dave.userId);
  const phone = subscribe(emulator.url, dave, "connect h2");
  const tablet = subscribe(emulator.url, daveTablet, "connect h2");
  await phone.next();
  await tablet.next();
  const only = await postJson(`${emulator.url}/emulator/v1/push`, {
    client_event: { user_id: dave.userId, device_session_id: daveTablet.deviceSessionId, event_type: "only.tablet", payload: {} },
  });
  const all = await postJson(`${emulator.url}/emulator/v1/push`, {
    client_event: { user_id: dave.userId, event_type: "everyone", payload: {} },
  });
  expect((await tablet.next()).envelope!.eventId).toBe(only.json.event_id);
  expect((await tablet.next()).envelope!.eventId).toBe(all.json.event_id);
  expect((await phone.next()).envelope!.eventId).toBe(all.json.event_id); // the tablet-only event skipped the phone
  phone.cancel();
  tablet.cancel();
});

it("rejects a subscription through the same stages (bad signature → invalid_signature)", async () => {
  const erin = await signIn(emulator.url);
  const req = subscribeEventsRequest(erin);
  req.signature[0]! ^= 1;
  const iterator = edgeClient(emulator.url).subscribeEvents(req)[Symbol.asyncIterator]();
  const err = await iterator.next().then(
    () => undefined,
    (e: unknown) => ConnectError.from(e),
  );
  expect(err?.code).toBe(Code.Unauthenticated);
  expect(detailOf(err!)).toMatchObject({ reason: "invalid_signature", stage: "signature" });
});

it("at shutdown ends every stream with UNAVAILABLE gateway_shutting_down, on every protocol", async () => {
  const own = await startTestEmulator();
  const subs = await Promise.all(
    TRANSPORT_NAMES.map(async (transport) => {
      const device = await signIn(own.url);
      const sub = subscribe(own.url, device, transport);
      await sub.next();
      return sub;
    }),
  );
  const closed = own.close();
  const errors = await Promise.all(subs.map((s) => s.ended()));
  await closed;
  for (const err of errors) {
    expect(err.code).toBe(Code.Unavailable);
    expect(detailOf(err)).toMatchObject({ reason: "gateway_shutting_down", stage: "push" });
  }
});

it("fans a burst of pushes out to 16 streams of one user on every protocol and codec: each gets all, in order, signed for its own stream", async () => {
  // 16 deliveries per push are signed on the signing pool's worker, and written past connect-node's
  // stream writer (direct-stream.ts), binary and JSON alike.
  const email = `fleet-${Math.random().toString(36).slice(2)}@example.com`;
  const devices = [await signIn(emulator.url, email), await signIn(emulator.url, email)];
  const transports = [...TRANSPORT_NAMES, ...JSON_TRANSPORT_NAMES];
  const subs = Array.from({ length: 16 }, (_, k) => {
    const device = devices[k % devices.length]!;
    return { device, sub: subscribe(emulator.url, device, transports[k % transports.length]) };
  });
  const requestIds = await Promise.all(
    subs.map(async ({ sub }) => {
      const first = await sub.next();
      expect(first.envelope?.eventType).toBe("gateway.server_time");
      return first.envelope!.requestId;
    }),
  );
  expect(new Set(requestIds).size).toBe(16);

  const ids: string[] = [];
  for (let i = 0; i < 5; i++) {
    const injected = await postJson(`${emulator.url}/emulator/v1/push`, {
      client_event: { user_id: devices[0]!.userId, event_type: "game.fleet.arrived", payload: { i } },
    });
    expect(injected.status).toBe(200);
    ids.push(injected.json.event_id);
  }
  await Promise.all(
    subs.map(async ({ device, sub }, k) => {
      for (let i = 0; i < ids.length; i++) {
        const event = await sub.next();
        expect(verifyEvent(event, gatewayKey)).toEqual({ ok: true });
        expect(event.envelope).toMatchObject({ eventId: ids[i], deviceSessionId: device.deviceSessionId, requestId: requestIds[k] });
        expect(JSON.parse(fromUtf8(event.payloadBytes))).toEqual({ i });
      }
      sub.cancel();
    }),
  );
});
