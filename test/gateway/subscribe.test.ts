// SubscribeEvents (§5) on every protocol: server_time first, pushes delivered signed with the
// backend's event id (also those pushed before the client read anything), invalidation →
// FAILED_PRECONDITION session_revoked, shutdown → UNAVAILABLE.
import http from "node:http";
import http2 from "node:http2";
import { fromBinary, toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fromUtf8 } from "../../src/shared/bytes.js";
import { GatewayErrorSchema, GatewayEventSchema, SubscribeEventsRequestSchema, type GatewayEvent } from "../../src/shared/gen/galaxy/gateway/v1/gateway_pb.js";
import { executeCommandRequest, subscribeEventsRequest, verifyEvent } from "../../src/shared/sdk.js";
import type { RunningEmulator } from "../../src/emulator/start.js";
import {
  edgeClient,
  gatewayPublicKey,
  getJson,
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

// Events pushed while connect-node has not yet sent the stream's headers and server_time must still
// arrive after server_time, in order (direct-stream.ts declines them until then). The client sends its
// request and reads nothing until the gateway has registered the stream (its journal entry is written
// then) and the pushes were accepted.
const RAW_WIRES = {
  "connect h1": { http: "h1", contentType: "application/connect+proto", extra: { "connect-protocol-version": "1" } },
  "connect h2": { http: "h2", contentType: "application/connect+proto", extra: { "connect-protocol-version": "1" } },
  "grpc h1": { http: "h1", contentType: "application/grpc+proto", extra: { te: "trailers" } },
  "grpc h2": { http: "h2", contentType: "application/grpc+proto", extra: { te: "trailers" } },
  "grpc-web h1": { http: "h1", contentType: "application/grpc-web+proto", extra: { "x-grpc-web": "1" } },
  "grpc-web h2": { http: "h2", contentType: "application/grpc-web+proto", extra: { "x-grpc-web": "1" } },
} as const;

describe.each(Object.keys(RAW_WIRES) as (keyof typeof RAW_WIRES)[])("SubscribeEvents over raw %s", (wire) => {
  it("delivers events pushed before the client read anything after server_time, in order", async () => {
    const device = await signIn(emulator.url);
    const req = subscribeEventsRequest(device);
    const stream = openPaused(emulator.url, RAW_WIRES[wire], req);
    try {
      await journalEntryFor(req.envelope!.requestId);
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) {
        const injected = await postJson(`${emulator.url}/emulator/v1/push`, {
          client_event: { user_id: device.userId, event_type: "game.early.bird", payload: { i } },
        });
        expect(injected.status).toBe(200);
        ids.push(injected.json.event_id);
      }
      const events = await stream.read(4);
      expect(events.map((e) => e.envelope!.eventType)).toEqual(["gateway.server_time", ...ids.map(() => "game.early.bird")]);
      expect(events.slice(1).map((e) => e.envelope!.eventId)).toEqual(ids);
      for (const e of events) expect(verifyEvent(e, gatewayKey)).toEqual({ ok: true });
    } finally {
      stream.close();
    }
  });
});

/** Waits (long-polling the journal) until the gateway journaled the call with this request id. */
async function journalEntryFor(requestId: string): Promise<void> {
  for (let after = 0; ; ) {
    const journal = await getJson(`${emulator.url}/emulator/v1/journal?after=${after}&wait_ms=5000`);
    const entries = journal.json.entries as { seq: number; request_id: string; code: string }[];
    const entry = entries.find((e) => e.request_id === requestId);
    if (entry) {
      expect(entry.code).toBe("ok");
      return;
    }
    after = entries.at(-1)?.seq ?? after;
  }
}

/** A SubscribeEvents call sent raw, whose answer is not read until read() is called. */
function openPaused(baseUrl: string, wire: (typeof RAW_WIRES)[keyof typeof RAW_WIRES], req: ReturnType<typeof subscribeEventsRequest>) {
  const message = toBinary(SubscribeEventsRequestSchema, req);
  const body = Buffer.alloc(5 + message.byteLength);
  body.writeUInt32BE(message.byteLength, 1);
  body.set(message, 5);
  const path = "/galaxy.gateway.v1.EdgeGateway/SubscribeEvents";
  const headers = { "content-type": wire.contentType, ...wire.extra };
  let response: Promise<NodeJS.ReadableStream>;
  let close: () => void;
  if (wire.http === "h2") {
    const session = http2.connect(baseUrl);
    const stream = session.request({ ":method": "POST", ":path": path, ...headers });
    stream.pause();
    stream.end(body);
    response = Promise.resolve(stream);
    close = () => session.destroy();
  } else {
    const request = http.request(`${baseUrl}${path}`, { method: "POST", headers, agent: false });
    response = new Promise((resolve, reject) => {
      request.once("response", (res) => {
        res.pause();
        resolve(res);
      });
      request.once("error", reject);
    });
    request.end(body);
    close = () => request.destroy();
  }
  return {
    /** The first `count` messages of the answer, decoded. */
    read: async (count: number): Promise<GatewayEvent[]> => {
      const readable = await response;
      const events: GatewayEvent[] = [];
      let buffered = Buffer.alloc(0);
      for await (const chunk of readable) {
        buffered = Buffer.concat([buffered, chunk as Buffer]);
        while (buffered.length >= 5 && buffered.length >= 5 + buffered.readUInt32BE(1)) {
          expect(buffered[0], "a message frame (not the end of the stream)").toBe(0);
          const end = 5 + buffered.readUInt32BE(1);
          events.push(fromBinary(GatewayEventSchema, buffered.subarray(5, end)));
          buffered = buffered.subarray(end);
        }
        if (events.length >= count) return events;
      }
      throw new Error(`the stream ended after ${events.length} of ${count} messages`);
    },
    close: () => close(),
  };
}
