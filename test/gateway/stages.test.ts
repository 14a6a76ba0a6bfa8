// Every stage of §4 alone: given a call that is right in every respect but the one the stage checks,
// it passes the good call and rejects the bad one with its code, reason and stage.
import { Code } from "@connectrpc/connect";
import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { toBase64Url } from "../../src/shared/bytes.js";
import { generateSeed, publicKeyFromSeed } from "../../src/shared/ed25519.js";
import { RequestEnvelopeSchema } from "../../src/shared/gen/galaxy/gateway/v1/gateway_pb.js";
import { signRequest } from "../../src/shared/sdk.js";
import type { BackendReply, BackendRestClient } from "../../src/gateway/backend/rest-client.js";
import { SessionLookup } from "../../src/gateway/backend/session-lookup.js";
import { LiveConfig } from "../../src/gateway/config.js";
import { FaultSet } from "../../src/gateway/faults/fault-set.js";
import { buildPipelines, runPipeline, TURN_BUDGET_MS } from "../../src/gateway/pipeline.js";
import { TurnBudget } from "../../src/gateway/loop-turn.js";
import { RateLimiter } from "../../src/gateway/rate-limiter.js";
import { ReplayStore } from "../../src/gateway/replay-store.js";
import { Ed25519Verifier } from "../../src/gateway/signing/ed25519-node.js";
import { backendStage } from "../../src/gateway/stages/backend.js";
import { envelopeStage } from "../../src/gateway/stages/envelope.js";
import { freshnessStage } from "../../src/gateway/stages/freshness.js";
import { payloadHashStage } from "../../src/gateway/stages/payload-hash.js";
import { rateLimitStage } from "../../src/gateway/stages/rate-limit.js";
import { replayStage } from "../../src/gateway/stages/replay.js";
import { routingStage } from "../../src/gateway/stages/routing.js";
import { sessionStage } from "../../src/gateway/stages/session.js";
import { signatureStage } from "../../src/gateway/stages/signature.js";
import { GatewayRejection, type GatewayCall, type Stage } from "../../src/gateway/stages/stage.js";

const NOW = 1_767_225_600_000;
const seed = generateSeed();
const SESSION = {
  device_session_id: "ds_1",
  user_id: "u_1",
  client_public_key: toBase64Url(publicKeyFromSeed(seed)),
  status: "active" as const,
  created_at_ms: NOW - 1000,
};

/** A backend answering from a table: path → reply; anything else 404. */
function fakeBackend(replies: Record<string, Partial<BackendReply> | Error>): BackendRestClient {
  return {
    baseUrl: () => "http://backend.invalid",
    async request(_method, path) {
      const reply = replies[path];
      if (reply instanceof Error) throw reply;
      if (!reply) return { status: 404, headers: {}, body: Buffer.from('{"error":{"code":"not_found","message":"-"}}') };
      return { status: 200, headers: {}, body: Buffer.alloc(0), ...reply };
    },
  };
}

const sessionBackend = (session: object = SESSION) =>
  fakeBackend({ "/api/v1/internal/sessions/ds_1": { body: Buffer.from(JSON.stringify(session)) } });

function goodCall(options: { payload?: unknown; messageType?: string; timestampMs?: number } = {}): GatewayCall {
  const signed = signRequest(
    { deviceSessionId: "ds_1", seed },
    { messageType: options.messageType ?? "user.profile.update", payload: options.payload ?? { display_name: "x" }, timestampMs: options.timestampMs ?? NOW, requestId: "req-1" },
  );
  return {
    rpc: "ExecuteCommand",
    clientIp: "127.0.0.1",
    receivedAtMs: NOW,
    rawEnvelope: signed.envelope,
    payloadBytes: signed.payloadBytes,
    signature: signed.signature,
    signal: new AbortController().signal,
    timeoutMs: () => undefined,
  };
}

/** A good call that has passed the stages before `stage` (envelope and session set). */
function checkedCall(options?: Parameters<typeof goodCall>[0]): GatewayCall {
  const call = goodCall(options);
  call.envelope = call.rawEnvelope;
  call.session = SESSION;
  call.sessionPublicKey = publicKeyFromSeed(seed);
  return call;
}

async function verdict(stage: Stage, call: GatewayCall) {
  try {
    await stage.run(call);
    return "pass";
  } catch (err) {
    if (!(err instanceof GatewayRejection)) throw err;
    return { code: err.code, reason: err.reason, stage: err.stage };
  }
}

describe("envelope", () => {
  it("passes a well-formed envelope", async () => expect(await verdict(envelopeStage, goodCall())).toBe("pass"));
  it.each([
    ["no envelope", (c: GatewayCall) => (c.rawEnvelope = undefined)],
    ["empty device_session_id", (c: GatewayCall) => (c.rawEnvelope!.deviceSessionId = "")],
    ["control character in device_session_id", (c: GatewayCall) => (c.rawEnvelope!.deviceSessionId = "ds\n1")],
    ["bad message_type", (c: GatewayCall) => (c.rawEnvelope!.messageType = "user profile")],
    ["subscribe type on ExecuteCommand", (c: GatewayCall) => (c.rawEnvelope!.messageType = "gateway.subscribe_events")],
    ["empty request_id", (c: GatewayCall) => (c.rawEnvelope!.requestId = "")],
    ["33-byte payload_hash", (c: GatewayCall) => (c.rawEnvelope!.payloadHash = new Uint8Array(33))],
    ["empty signature", (c: GatewayCall) => (c.signature = new Uint8Array(0))],
    ["payload of 64 KiB + 1", (c: GatewayCall) => (c.payloadBytes = new Uint8Array(64 * 1024 + 1).fill(32))],
    ["payload not UTF-8", (c: GatewayCall) => (c.payloadBytes = new Uint8Array([0x7b, 0xff, 0x7d]))],
    ["payload a JSON string", (c: GatewayCall) => (c.payloadBytes = new TextEncoder().encode('"hi"'))],
  ])("%s → malformed_envelope", async (_name, breakIt) => {
    const call = goodCall();
    breakIt(call);
    expect(await verdict(envelopeStage, call)).toEqual({ code: Code.InvalidArgument, reason: "malformed_envelope", stage: "envelope" });
  });
  it.each([0, 2, 0xffffffff])("protocol_version %i → unsupported_protocol_version", async (version) => {
    const call = goodCall();
    call.rawEnvelope = create(RequestEnvelopeSchema, { ...call.rawEnvelope!, protocolVersion: version });
    expect(await verdict(envelopeStage, call)).toEqual({ code: Code.InvalidArgument, reason: "unsupported_protocol_version", stage: "envelope" });
  });
  it("checks well-formedness before the version", async () => {
    const call = goodCall();
    call.rawEnvelope!.protocolVersion = 2;
    call.rawEnvelope!.requestId = "";
    expect(await verdict(envelopeStage, call)).toMatchObject({ reason: "malformed_envelope" });
  });
});

describe("session", () => {
  it("passes an active session and records its key", async () => {
    const call = checkedCall();
    call.session = undefined;
    expect(await verdict(sessionStage(new SessionLookup(sessionBackend())), call)).toBe("pass");
    expect(call.session).toEqual(SESSION);
  });
  it("unknown → UNAUTHENTICATED unknown_session", async () => {
    expect(await verdict(sessionStage(new SessionLookup(fakeBackend({}))), checkedCall())).toEqual({
      code: Code.Unauthenticated, reason: "unknown_session", stage: "session",
    });
  });
  it("revoked → FAILED_PRECONDITION session_revoked", async () => {
    const lookup = new SessionLookup(sessionBackend({ ...SESSION, status: "revoked" }));
    expect(await verdict(sessionStage(lookup), checkedCall())).toEqual({ code: Code.FailedPrecondition, reason: "session_revoked", stage: "session" });
  });
  it("revoked by a push invalidation even while the backend still says active", async () => {
    const lookup = new SessionLookup(sessionBackend());
    lookup.invalidate("u_1", "ds_1", NOW);
    expect(await verdict(sessionStage(lookup), checkedCall())).toMatchObject({ reason: "session_revoked" });
  });
  it("backend 500 or garbage → UNAVAILABLE backend_unavailable", async () => {
    for (const reply of [{ status: 500 }, { body: Buffer.from("<html>") }]) {
      const lookup = new SessionLookup(fakeBackend({ "/api/v1/internal/sessions/ds_1": reply }));
      expect(await verdict(sessionStage(lookup), checkedCall())).toEqual({ code: Code.Unavailable, reason: "backend_unavailable", stage: "session" });
    }
  });
});

describe("payload_hash", () => {
  it("passes the matching hash", async () => expect(await verdict(payloadHashStage, checkedCall())).toBe("pass"));
  it("a changed payload → payload_hash_mismatch", async () => {
    const call = checkedCall();
    call.payloadBytes = new TextEncoder().encode('{"display_name":"y"}');
    expect(await verdict(payloadHashStage, call)).toEqual({ code: Code.InvalidArgument, reason: "payload_hash_mismatch", stage: "payload_hash" });
  });
});

describe("signature", () => {
  const stage = signatureStage(new Ed25519Verifier());
  it("passes the device's signature", async () => expect(await verdict(stage, checkedCall())).toBe("pass"));
  it.each([
    ["a flipped bit", (c: GatewayCall) => (c.signature[10]! ^= 1)],
    ["another key", (c: GatewayCall) => (c.sessionPublicKey = publicKeyFromSeed(generateSeed()))],
    ["a changed envelope field", (c: GatewayCall) => (c.envelope!.messageType = "user.profile.get")],
    ["a small-order session key", (c: GatewayCall) => (c.sessionPublicKey = new Uint8Array(32).fill(0).map((_, i) => (i === 0 ? 1 : 0)))],
  ])("%s → invalid_signature", async (_name, breakIt) => {
    const call = checkedCall();
    breakIt(call);
    expect(await verdict(stage, call)).toEqual({ code: Code.Unauthenticated, reason: "invalid_signature", stage: "signature" });
  });
});

describe("freshness", () => {
  const stage = freshnessStage(new LiveConfig({ freshness_window_ms: 60_000 }));
  it.each([0, 60_000, -60_000])("passes a skew of %i ms (the window is inclusive)", async (skew) => {
    expect(await verdict(stage, checkedCall({ timestampMs: NOW + skew }))).toBe("pass");
  });
  it.each([60_001, -60_001])("a skew of %i ms → stale_request", async (skew) => {
    expect(await verdict(stage, checkedCall({ timestampMs: NOW + skew }))).toEqual({ code: Code.Unauthenticated, reason: "stale_request", stage: "freshness" });
  });
});

describe("replay", () => {
  it("passes the first use and rejects the second with ALREADY_EXISTS replayed_request", async () => {
    const stage = replayStage(new ReplayStore(), new LiveConfig(), 0);
    expect(await verdict(stage, checkedCall())).toBe("pass");
    expect(await verdict(stage, checkedCall())).toEqual({ code: Code.AlreadyExists, reason: "replayed_request", stage: "replay" });
  });
  it("forgets a reservation after twice the window: the id signed again with a new timestamp passes", async () => {
    const store = new ReplayStore(10);
    expect(store.reserve("ds_1", "r", NOW, NOW, 120_000)).toBe("reserved");
    expect(store.reserve("ds_1", "r", NOW, NOW + 119_000, 120_000)).toBe("replayed");
    expect(store.reserve("ds_1", "r", NOW + 122_000, NOW + 122_000, 120_000)).toBe("reserved");
  });
  it("refuses a timestamp at or below the horizon with UNAUTHENTICATED stale_request at stage replay", async () => {
    const config = new LiveConfig({ freshness_window_ms: 1_000 });
    const store = new ReplayStore();
    const stage = replayStage(store, config, 0);
    expect(await verdict(stage, checkedCall({ timestampMs: NOW - 5_000 }))).toBe("pass"); // req-1 at NOW - 5 s
    const later = checkedCall({ timestampMs: NOW });
    later.envelope!.requestId = "req-2";
    expect(await verdict(stage, later)).toBe("pass"); // sweeps req-1: its timestamp is 2 windows old
    expect(store.horizonMs).toBe(NOW - 5_000);
    config.patch({ freshness_window_ms: 60_000 });
    expect(await verdict(stage, checkedCall({ timestampMs: NOW - 5_000 }))).toEqual({ code: Code.Unauthenticated, reason: "stale_request", stage: "replay" });
  });
  it("a reset forgets the reservations but not what they covered: the same request stays refused", async () => {
    const store = new ReplayStore();
    const stage = replayStage(store, new LiveConfig(), 0);
    expect(await verdict(stage, checkedCall())).toBe("pass");
    store.clear();
    expect(store.size).toBe(0);
    expect(await verdict(stage, checkedCall())).toEqual({ code: Code.Unauthenticated, reason: "stale_request", stage: "replay" });
    const signedLater = checkedCall({ timestampMs: NOW + 1 });
    signedLater.envelope!.requestId = "req-2";
    expect(await verdict(stage, signedLater)).toBe("pass");
  });
  it("a call that reaches the stage late (a slow session lookup) still passes: reservations are kept that much longer", async () => {
    const config = new LiveConfig({ freshness_window_ms: 1_000 });
    const store = new ReplayStore();
    const stage = replayStage(store, config, 5_000);
    const early = checkedCall({ timestampMs: NOW - 1_000 });
    early.envelope!.requestId = "req-early";
    expect(await verdict(stage, early)).toBe("pass");
    // A call that arrived 5 s later reaches the stage first and sweeps what is old enough to sweep.
    const later = checkedCall({ timestampMs: NOW + 5_000 });
    later.receivedAtMs = NOW + 5_000;
    later.envelope!.requestId = "req-later";
    expect(await verdict(stage, later)).toBe("pass");
    // The late call (arrived at NOW, fresh then, its timestamp NOW - 500) is not under the horizon.
    const late = checkedCall({ timestampMs: NOW - 500 });
    late.envelope!.requestId = "req-late";
    expect(await verdict(stage, late)).toBe("pass");
  });
  it("a gateway starts its horizon at its own clock: a request signed before a restart does not pass after it", async () => {
    const stage = replayStage(new ReplayStore(10, NOW), new LiveConfig(), 0);
    expect(await verdict(stage, checkedCall({ timestampMs: NOW - 1 }))).toEqual({ code: Code.Unauthenticated, reason: "stale_request", stage: "replay" });
    expect(await verdict(stage, checkedCall({ timestampMs: NOW + 1 }))).toBe("pass");
  });
});

describe("rate_limit", () => {
  it("passes within the burst, then RESOURCE_EXHAUSTED rate_limited with retry_after_ms", async () => {
    const config = new LiveConfig();
    config.patch({ rate_limits: { per_session: { rate_per_s: 1, burst: 2 } } });
    const stage = rateLimitStage(new RateLimiter(), config);
    expect(await verdict(stage, checkedCall())).toBe("pass");
    expect(await verdict(stage, checkedCall())).toBe("pass");
    const call = checkedCall();
    const err = await (async () => stage.run(call))().catch((e: GatewayRejection) => e);
    expect(err).toMatchObject({ code: Code.ResourceExhausted, reason: "rate_limited", stage: "rate_limit" });
    expect((err as GatewayRejection).retryAfterMs).toBe(1000);
  });
});

describe("routing", () => {
  const stage = routingStage(new LiveConfig());
  it("passes a routed type and records the route", async () => {
    const call = checkedCall();
    expect(await verdict(stage, call)).toBe("pass");
    expect(call.route).toMatchObject({ method: "PATCH", path: "profile" });
  });
  it.each(["game.nukes.launch", "constructor", "__proto__"])("%s → UNIMPLEMENTED unknown_message_type", async (type) => {
    expect(await verdict(stage, checkedCall({ messageType: type }))).toEqual({ code: Code.Unimplemented, reason: "unknown_message_type", stage: "routing" });
  });
});

describe("backend", () => {
  const routed = () => {
    const call = checkedCall();
    call.route = { method: "PATCH", path: "profile" };
    return call;
  };
  it("passes 2xx JSON and 4xx JSON errors (business errors are answers)", async () => {
    for (const reply of [{ status: 200, body: Buffer.from("{}") }, { status: 422, body: Buffer.from('{"error":{"code":"nope","message":"-"}}') }]) {
      expect(await verdict(backendStage(fakeBackend({ "/api/v1/user/profile": reply })), routed())).toBe("pass");
    }
  });
  it.each([
    ["5xx", { status: 503 }],
    ["3xx", { status: 302 }],
    ["2xx HTML", { status: 200, body: Buffer.from("<html>") }],
    ["4xx without a JSON error", { status: 404, body: Buffer.from("not found") }],
  ])("%s → UNAVAILABLE backend_unavailable", async (_name, reply) => {
    expect(await verdict(backendStage(fakeBackend({ "/api/v1/user/profile": reply })), routed())).toEqual({
      code: Code.Unavailable, reason: "backend_unavailable", stage: "backend",
    });
  });
});

describe("pipeline", () => {
  it("runs the stages in the order of §4 and stops at the first rejection", async () => {
    const config = new LiveConfig();
    const backend = sessionBackend();
    const pipelines = buildPipelines({
      config, sessions: new SessionLookup(backend), verifier: new Ed25519Verifier(), replay: new ReplayStore(), limiter: new RateLimiter(), backend, backendTimeoutMs: 5_000, faults: new FaultSet(),
    });
    expect(pipelines.executeCommand.map((s) => s.name)).toEqual([
      "envelope", "session", "payload_hash", "signature", "freshness", "replay", "rate_limit", "routing", "fault", "backend",
    ]);
    expect(pipelines.subscribeEvents.map((s) => s.name)).toEqual(["envelope", "session", "payload_hash", "signature", "freshness", "replay", "rate_limit", "fault"]);
    const call = goodCall({ timestampMs: NOW - 3_600_000 });
    call.receivedAtMs = NOW;
    const outcome = await runPipeline(pipelines.executeCommand, call, new TurnBudget(TURN_BUDGET_MS));
    expect(outcome.rejection?.reason).toBe("stale_request");
    expect(outcome.stages.map((s) => `${s.stage}:${s.ok}`)).toEqual(["envelope:true", "session:true", "payload_hash:true", "signature:true", "freshness:false"]);
  });
});

describe("journal", () => {
  it("keeps exactly the newest entries up to its capacity, in order, with seq for long-polls", async () => {
    const { Journal } = await import("../../src/gateway/journal.js");
    const journal = new Journal(100);
    for (let i = 0; i < 1_000; i++) {
      journal.append({ at_ms: i, rpc: "ExecuteCommand", protocol: "connect", device_session_id: "", request_id: `r${i}`, message_type: "", stages: [], code: "ok" });
      expect(journal.size).toBe(Math.min(i + 1, 100));
    }
    expect(journal.after(0, 10_000).map((e) => e.seq)).toEqual([...Array(100).keys()].map((k) => 901 + k));
    expect(journal.after(990).map((e) => e.request_id)).toEqual([...Array(10).keys()].map((k) => `r${990 + k}`));
  });
});
