// The renderer's SubscribeEvents manager (src/renderer/services/stream-manager.ts) against an
// in-memory EdgeGateway (createRouterTransport): every attempt of the subscription runs the next
// entry of a script. Events are signed with a test gateway key exactly as the gateway signs them
// (src/shared ed25519 + the §2 event signing input); rejections carry the gateway's GatewayError
// detail (GatewayRejection.toConnectError). Reconnect delays go through an injected delay that
// records what was asked and resolves at once: the tests assert the sequence of requested delays,
// never wall time, and synchronise on the manager's own change notifications, never on sleeps.
import { create } from "@bufbuild/protobuf";
import { Code, createClient, createRouterTransport, type HandlerContext } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { GatewayRejection } from "../../src/gateway/stages/stage.js";
import { StreamManager, type StreamState } from "../../src/renderer/services/stream-manager.js";
import type { StoredDevice } from "../../src/shared/bridge.js";
import { fromHex, toBase64Url, toHex, utf8 } from "../../src/shared/bytes.js";
import { publicKeyFromSeed, sign } from "../../src/shared/ed25519.js";
import {
  EdgeGateway,
  EventEnvelopeSchema,
  GatewayEventSchema,
  type GatewayEvent,
  type SubscribeEventsRequest,
} from "../../src/shared/gen/galaxy/gateway/v1/gateway_pb.js";
import { sha256 } from "../../src/shared/hash.js";
import { PROTOCOL_VERSION, SERVER_TIME_EVENT_TYPE, SUBSCRIBE_MESSAGE_TYPE, type GatewayReason, type StageName } from "../../src/shared/protocol.js";
import { eventSigningInput } from "../../src/shared/signing-input.js";
import { verifyEvent } from "../../src/shared/sdk.js";

const GATEWAY_SEED = fromHex("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb");
const OTHER_SEED = fromHex("c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7");
const DEVICE_SEED_HEX = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";

const device: StoredDevice = {
  deviceSessionId: "ds_stream_1",
  userId: "u_7",
  email: "pilot@example.com",
  seedHex: DEVICE_SEED_HEX,
  gatewayKey: toBase64Url(publicKeyFromSeed(GATEWAY_SEED)),
  createdAtMs: 1_700_000_000_000,
};

/** An event as the gateway signs it, echoing the subscription's request_id and device session. */
function signedEvent(
  req: SubscribeEventsRequest,
  eventId: string,
  options: { eventType?: string; payload?: unknown; seed?: Uint8Array; deviceSessionId?: string } = {},
): GatewayEvent {
  const payloadBytes = utf8(JSON.stringify(options.payload ?? { id: eventId }));
  const envelope = create(EventEnvelopeSchema, {
    protocolVersion: PROTOCOL_VERSION,
    deviceSessionId: options.deviceSessionId ?? req.envelope!.deviceSessionId,
    eventType: options.eventType ?? "game.notice",
    eventId,
    timestampMs: 1_700_000_000_123n,
    requestId: req.envelope!.requestId,
    payloadHash: sha256(payloadBytes),
  });
  return create(GatewayEventSchema, {
    envelope,
    payloadBytes,
    signature: sign(eventSigningInput(envelope), options.seed ?? GATEWAY_SEED),
  });
}

const serverTime = (req: SubscribeEventsRequest) =>
  signedEvent(req, "gw-1", { eventType: SERVER_TIME_EVENT_TYPE, payload: { server_time_ms: 1_700_000_000_123 } });

/** A rejection with the GatewayError detail, built by the gateway's own code. */
const rejection = (code: Code, reason: GatewayReason, stage: StageName, retryAfterMs = 0) =>
  new GatewayRejection(code, reason, stage, reason.replace(/_/g, " "), retryAfterMs).toConnectError(1_700_000_000_000);

type Attempt = (req: SubscribeEventsRequest, ctx: HandlerContext) => AsyncIterable<GatewayEvent>;

/** Keeps a stream open until the client goes away. */
const untilAborted = (ctx: HandlerContext) =>
  new Promise<void>((resolve) => {
    if (ctx.signal.aborted) resolve();
    ctx.signal.addEventListener("abort", () => resolve(), { once: true });
  });

/** An in-memory EdgeGateway whose n-th SubscribeEvents call runs attempts[n-1]. */
function scriptedGateway(attempts: Attempt[]) {
  const requests: SubscribeEventsRequest[] = [];
  const transport = createRouterTransport(({ service }) => {
    service(EdgeGateway, {
      async *subscribeEvents(req, ctx) {
        requests.push(req);
        const attempt = attempts[requests.length - 1];
        if (!attempt) throw new Error(`unscripted attempt ${requests.length}`);
        yield* attempt(req, ctx);
      },
    });
  });
  return { client: createClient(EdgeGateway, transport), requests };
}

function newManager(attempts: Attempt[]) {
  const gateway = scriptedGateway(attempts);
  const delays: number[] = [];
  const manager = new StreamManager({
    client: () => gateway.client,
    delay: async (ms) => {
      delays.push(ms);
    },
    // No jitter: the delays are exactly 0.5 s, 1 s, 2 s …
    random: () => 0.5,
  });
  // Every status the stream goes through, in order.
  const statuses: string[] = [];
  manager.subscribe(() => {
    const status = manager.getSnapshot().get(device.deviceSessionId)?.status;
    if (!status) return;
    const text = "attempt" in status ? `${status.kind} ${status.attempt}` : status.kind;
    if (statuses.at(-1) !== text) statuses.push(text);
  });
  return { manager, delays, statuses, requests: gateway.requests };
}

/** Resolves once `predicate` holds, re-checked on each change the manager announces. */
function until(manager: StreamManager, predicate: (state: StreamState | undefined) => boolean): Promise<StreamState | undefined> {
  return new Promise((resolve) => {
    const check = () => {
      const state = manager.getSnapshot().get(device.deviceSessionId);
      if (!predicate(state)) return;
      unsubscribe();
      resolve(state);
    };
    const unsubscribe = manager.subscribe(check);
    check();
  });
}

const ids = (state: StreamState | undefined) => (state?.events ?? []).map((e) => e.eventId).reverse();

describe("StreamManager reconnects with backoff and drops duplicate event_ids", () => {
  it("drops duplicates within and across connections, backs off 0.5 s → 1 s → 2 s, restarts the backoff once open, verifies every event", async () => {
    const { manager, delays, statuses, requests } = newManager([
      // 1: events with a duplicate, then the gateway goes away.
      async function* (req) {
        yield serverTime(req);
        yield signedEvent(req, "ev-1");
        yield signedEvent(req, "ev-1");
        yield signedEvent(req, "ev-2");
        throw rejection(Code.Unavailable, "gateway_shutting_down", "push");
      },
      // 2, 3: refused before any event.
      async function* () {
        throw rejection(Code.Unavailable, "backend_unavailable", "session");
      },
      async function* () {
        throw rejection(Code.Unavailable, "backend_unavailable", "session");
      },
      // 4: succeeds; the backend replays ev-2 (resume), then ev-3; then the stream closes cleanly.
      async function* (req) {
        yield serverTime(req);
        yield signedEvent(req, "ev-2");
        yield signedEvent(req, "ev-3");
      },
      // 5: stays open until unsubscribed.
      async function* (req, ctx) {
        yield serverTime(req);
        yield signedEvent(req, "ev-4");
        await untilAborted(ctx);
      },
    ]);
    const revoked: string[] = [];
    manager.start(device, (id) => revoked.push(id));
    const state = await until(manager, (s) => s?.events.some((e) => e.eventId === "ev-4") ?? false);
    // Through every reconnect the snapshot says the subscription runs (the console's Unsubscribe button).
    expect(state!.running).toBe(true);

    // Duplicates dropped: ev-1 within the first connection, ev-2 replayed on the fourth. The
    // gateway's own server_time event is per stream, so each connection's "gw-1" is kept.
    expect(ids(state)).toEqual(["gw-1", "ev-1", "ev-2", "gw-1", "ev-3", "gw-1", "ev-4"]);
    expect(state!.duplicatesDropped).toBe(2);

    // Every event verified against the pinned gateway key, on this session, echoing its subscription.
    expect(state!.events.map((e) => e.verification)).toEqual(state!.events.map(() => ({ ok: true })));
    const requestIds = requests.map((r) => r.envelope!.requestId);
    expect(new Set(requestIds).size).toBe(5);
    expect(state!.events.map((e) => e.requestId).reverse()).toEqual([
      ...Array<string>(3).fill(requestIds[0]!),
      ...Array<string>(2).fill(requestIds[3]!),
      ...Array<string>(2).fill(requestIds[4]!),
    ]);
    for (const req of requests) {
      expect(req.envelope).toMatchObject({ deviceSessionId: device.deviceSessionId, messageType: SUBSCRIBE_MESSAGE_TYPE });
    }

    // Reconnects with growing delays; an opened stream resets the backoff.
    expect(delays).toEqual([500, 1000, 2000, 500]);
    expect(statuses).toEqual([
      "connecting 0",
      "open",
      "waiting 1",
      "connecting 1",
      "waiting 2",
      "connecting 2",
      "waiting 3",
      "connecting 3",
      "open",
      "waiting 1",
      "connecting 1",
      "open",
    ]);
    expect(state!.connections).toBe(5);
    const waiting = state!.history.map((h) => h.text).filter((t) => t.includes("retry in"));
    expect(waiting.reverse().map((t) => t.split(";")[0])).toEqual([
      "UNAVAILABLE gateway_shutting_down at push — gateway_shutting_down: gateway shutting down",
      "UNAVAILABLE backend_unavailable at session — backend_unavailable: backend unavailable",
      "UNAVAILABLE backend_unavailable at session — backend_unavailable: backend unavailable",
      "STREAM_CLOSED — the gateway closed the stream",
    ]);

    manager.stop(device.deviceSessionId);
    const stopped = await until(manager, (s) => s?.status.kind === "stopped");
    expect(manager.isRunning(device.deviceSessionId)).toBe(false);
    expect(stopped!.running).toBe(false);
    expect(revoked).toEqual([]);
    expect(requests).toHaveLength(5);
  });

  it("waits at least the gateway's retry_after_ms", async () => {
    const { manager, delays } = newManager([
      async function* () {
        throw rejection(Code.ResourceExhausted, "rate_limited", "rate_limit", 3_200);
      },
      async function* (req, ctx) {
        yield serverTime(req);
        await untilAborted(ctx);
      },
    ]);
    manager.start(device, () => {});
    await until(manager, (s) => s?.status.kind === "open");
    manager.stop(device.deviceSessionId);
    expect(delays).toEqual([3_200]);
  });

  it("marks events it cannot verify instead of trusting them", async () => {
    const { manager } = newManager([
      async function* (req, ctx) {
        yield signedEvent(req, "forged", { seed: OTHER_SEED });
        yield signedEvent(req, "elsewhere", { deviceSessionId: "ds_someone_else" });
        const tampered = signedEvent(req, "tampered");
        tampered.payloadBytes = utf8(JSON.stringify({ id: "changed" }));
        yield tampered;
        yield signedEvent(req, "good");
        await untilAborted(ctx);
      },
    ]);
    manager.start(device, () => {});
    const state = await until(manager, (s) => s?.events.some((e) => e.eventId === "good") ?? false);
    manager.stop(device.deviceSessionId);
    expect(Object.fromEntries(state!.events.map((e) => [e.eventId, e.verification]))).toEqual({
      forged: { ok: false, problem: "bad signature" },
      elsewhere: { ok: false, problem: "device_session_id is not this session" },
      tampered: { ok: false, problem: "payload hash mismatch" },
      good: { ok: true },
    });
  });
});

describe("StreamManager stops for good on a final rejection", () => {
  it("never reconnects after FAILED_PRECONDITION session_revoked, and reports the revocation", async () => {
    const { manager, delays, statuses, requests } = newManager([
      async function* (req) {
        yield serverTime(req);
        yield signedEvent(req, "ev-1");
        throw rejection(Code.FailedPrecondition, "session_revoked", "push");
      },
    ]);
    const revoked: string[] = [];
    manager.start(device, (id) => revoked.push(id));
    const state = await until(manager, () => !manager.isRunning(device.deviceSessionId));

    // The snapshot a component reads says so too, so the console offers Subscribe again.
    expect(state!.running).toBe(false);
    expect(state!.status).toEqual({
      kind: "revoked",
      rejection: {
        code: "FAILED_PRECONDITION",
        codeNumber: Code.FailedPrecondition,
        reason: "session_revoked",
        stage: "push",
        serverTimeMs: 1_700_000_000_000,
        message: "session_revoked: session revoked",
      },
    });
    expect(revoked).toEqual([device.deviceSessionId]);
    expect(statuses).toEqual(["connecting 0", "open", "revoked"]);
    expect(delays).toEqual([]);
    expect(requests).toHaveLength(1);
    expect(ids(state)).toEqual(["gw-1", "ev-1"]);
    expect(state!.events.every((e) => e.verification.ok)).toBe(true);
  });

  it("never reconnects after a non-transient rejection such as unknown_session", async () => {
    const { manager, delays, requests } = newManager([
      async function* () {
        throw rejection(Code.Unauthenticated, "unknown_session", "session");
      },
    ]);
    const revoked: string[] = [];
    manager.start(device, (id) => revoked.push(id));
    const state = await until(manager, () => !manager.isRunning(device.deviceSessionId));
    expect(state!.status).toMatchObject({ kind: "ended", rejection: { code: "UNAUTHENTICATED", reason: "unknown_session", stage: "session" } });
    expect(delays).toEqual([]);
    expect(requests).toHaveLength(1);
    expect(revoked).toEqual([]);
  });
});

describe("test fixtures", () => {
  it("sign events verifiably with the key the device pins, and forge with another", () => {
    const req = { envelope: { deviceSessionId: device.deviceSessionId, requestId: "r-1" } } as SubscribeEventsRequest;
    const pinned = publicKeyFromSeed(GATEWAY_SEED);
    expect(toBase64Url(pinned)).toBe(device.gatewayKey);
    expect(verifyEvent(signedEvent(req, "x"), pinned)).toEqual({ ok: true });
    expect(verifyEvent(signedEvent(req, "x", { seed: OTHER_SEED }), pinned)).toEqual({ ok: false, problem: "bad signature" });
    expect(toHex(publicKeyFromSeed(OTHER_SEED))).not.toBe(toHex(pinned));
  });
});
