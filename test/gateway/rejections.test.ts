// Every reason of §4, through a real gateway on all three protocols: the Connect code, the
// GatewayError detail (reason, stage, server_time_ms, retry_after_ms) and the journal entry.
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateSeed } from "../../src/shared/ed25519.js";
import {
  ExecuteCommandRequestSchema,
  GatewayErrorSchema,
  type ExecuteCommandRequest,
} from "../../src/shared/gen/galaxy/gateway/v1/gateway_pb.js";
import { executeCommandRequest } from "../../src/shared/sdk.js";
import type { RunningEmulator } from "../../src/emulator/start.js";
import { edgeClient, getJson, patchConfig, signIn, startTestEmulator, type SignedInDevice, type TransportName } from "../support/emulator.js";

let emulator: RunningEmulator;
let device: SignedInDevice;

beforeAll(async () => {
  emulator = await startTestEmulator();
  device = await signIn(emulator.url);
});
afterAll(() => emulator.close());

async function rejectionOf(req: ExecuteCommandRequest, transport: TransportName = "connect h2") {
  try {
    await edgeClient(emulator.url, transport).executeCommand(req);
  } catch (err) {
    const e = ConnectError.from(err);
    const [detail] = e.findDetails(GatewayErrorSchema);
    return { code: e.code, reason: detail?.reason, stage: detail?.stage, detail };
  }
  throw new Error("expected a rejection");
}

const fresh = (overrides: Parameters<typeof executeCommandRequest>[1] = { messageType: "user.profile.get" }) =>
  executeCommandRequest(device, overrides);

function mutate(req: ExecuteCommandRequest, change: (r: ExecuteCommandRequest) => void): ExecuteCommandRequest {
  const copy = create(ExecuteCommandRequestSchema, structuredClone(req));
  change(copy);
  return copy;
}

const cases: Array<[string, () => ExecuteCommandRequest, Code, string, string]> = [
  ["missing envelope", () => mutate(fresh(), (r) => (r.envelope = undefined)), Code.InvalidArgument, "malformed_envelope", "envelope"],
  ["bad request_id charset", () => fresh({ messageType: "user.profile.get", requestId: "has space" }), Code.InvalidArgument, "malformed_envelope", "envelope"],
  ["request_id too long", () => fresh({ messageType: "user.profile.get", requestId: "x".repeat(129) }), Code.InvalidArgument, "malformed_envelope", "envelope"],
  ["31-byte payload_hash", () => mutate(fresh(), (r) => (r.envelope!.payloadHash = r.envelope!.payloadHash.slice(1))), Code.InvalidArgument, "malformed_envelope", "envelope"],
  ["63-byte signature", () => mutate(fresh(), (r) => (r.signature = r.signature.slice(1))), Code.InvalidArgument, "malformed_envelope", "envelope"],
  ["payload over 64 KiB", () => fresh({ messageType: "user.profile.update", payload: { display_name: "x".repeat(70_000) } }), Code.InvalidArgument, "malformed_envelope", "envelope"],
  ["payload not a JSON object", () => fresh({ messageType: "user.profile.update", payload: [1, 2] }), Code.InvalidArgument, "malformed_envelope", "envelope"],
  ["protocol_version 2", () => fresh({ messageType: "user.profile.get", protocolVersion: 2 }), Code.InvalidArgument, "unsupported_protocol_version", "envelope"],
  ["unknown session", () => executeCommandRequest({ deviceSessionId: "ds_nobody", seed: generateSeed() }, { messageType: "user.profile.get" }), Code.Unauthenticated, "unknown_session", "session"],
  ["payload hash mismatch", () => mutate(fresh({ messageType: "user.profile.update", payload: { display_name: "a" } }), (r) => (r.payloadBytes = new TextEncoder().encode('{"display_name":"b"}'))), Code.InvalidArgument, "payload_hash_mismatch", "payload_hash"],
  ["flipped signature bit", () => mutate(fresh(), (r) => (r.signature[0]! ^= 1)), Code.Unauthenticated, "invalid_signature", "signature"],
  ["signed by another key", () => executeCommandRequest({ ...device, seed: generateSeed() }, { messageType: "user.profile.get" }), Code.Unauthenticated, "invalid_signature", "signature"],
  ["10 minutes old", () => fresh({ messageType: "user.profile.get", timestampMs: Date.now() - 600_000 }), Code.Unauthenticated, "stale_request", "freshness"],
  ["10 minutes ahead", () => fresh({ messageType: "user.profile.get", timestampMs: Date.now() + 600_000 }), Code.Unauthenticated, "stale_request", "freshness"],
  ["int64 minimum timestamp", () => fresh({ messageType: "user.profile.get", timestampMs: -(2n ** 63n) }), Code.Unauthenticated, "stale_request", "freshness"],
  ["unknown message type", () => fresh({ messageType: "game.nukes.launch" }), Code.Unimplemented, "unknown_message_type", "routing"],
];

describe.each(["connect h2", "grpc h2", "grpc-web h1"] as TransportName[])("rejections over %s", (transport) => {
  it.each(cases)("%s → %s", async (_name, build, code, reason, stage) => {
    const got = await rejectionOf(build(), transport);
    expect(got).toMatchObject({ code, reason, stage });
    expect(Number(got.detail!.serverTimeMs)).toBeGreaterThan(0);
  });

  it("replay of the exact same request → ALREADY_EXISTS replayed_request", async () => {
    const req = fresh();
    await edgeClient(emulator.url, transport).executeCommand(req);
    expect(await rejectionOf(req, transport)).toMatchObject({ code: Code.AlreadyExists, reason: "replayed_request", stage: "replay" });
  });
});

describe("stage order", () => {
  it("checks the signature before freshness: a stale request with a bad signature fails at signature", async () => {
    const req = mutate(fresh({ messageType: "user.profile.get", timestampMs: 0 }), (r) => (r.signature[5]! ^= 0x40));
    expect(await rejectionOf(req)).toMatchObject({ reason: "invalid_signature", stage: "signature" });
  });

  it("checks replay before routing: a replayed unknown message type fails at replay", async () => {
    const req = fresh({ messageType: "no.such.route" });
    expect(await rejectionOf(req)).toMatchObject({ reason: "unknown_message_type" });
    expect(await rejectionOf(req)).toMatchObject({ reason: "replayed_request" });
  });
});

describe("rate limit", () => {
  it("answers RESOURCE_EXHAUSTED rate_limited with retry_after_ms once a bucket is empty", async () => {
    await patchConfig(emulator.url, { rate_limits: { per_message_type: { rate_per_s: 0.001, burst: 3 } } });
    const limited = await signIn(emulator.url);
    const client = edgeClient(emulator.url);
    for (let i = 0; i < 3; i++) await client.executeCommand(executeCommandRequest(limited, { messageType: "user.sessions.list" }));
    const got = await rejectionOf(executeCommandRequest(limited, { messageType: "user.sessions.list" }));
    expect(got).toMatchObject({ code: Code.ResourceExhausted, reason: "rate_limited", stage: "rate_limit" });
    expect(Number(got.detail!.retryAfterMs)).toBeGreaterThan(0);
    // Another message type of the same user still passes: the bucket is per (user, message_type).
    await client.executeCommand(executeCommandRequest(limited, { messageType: "user.profile.get" }));
  });
});

describe("session state", () => {
  it("a revoked session fails at the session stage with FAILED_PRECONDITION session_revoked", async () => {
    const victim = await signIn(emulator.url);
    const res = await edgeClient(emulator.url).executeCommand(
      executeCommandRequest(victim, { messageType: "user.sessions.revoke", payload: { device_session_id: victim.deviceSessionId } }),
    );
    expect(res.envelope!.resultCode).toBe("ok");
    const got = await rejectionOf(executeCommandRequest(victim, { messageType: "user.profile.get" }));
    expect(got).toMatchObject({ code: Code.FailedPrecondition, reason: "session_revoked", stage: "session" });
  });
});

describe("backend", () => {
  it("answers UNAVAILABLE backend_unavailable when the backend refuses connections, and recovers", async () => {
    const patch = (backend: string) => patchConfig(emulator.url, { backend });
    await patch("http://127.0.0.1:9");
    const got = await rejectionOf(fresh());
    expect(got).toMatchObject({ code: Code.Unavailable, reason: "backend_unavailable", stage: "session" });
    await patch("mock");
    await edgeClient(emulator.url).executeCommand(fresh());
  });
});

describe("journal", () => {
  it("records each stage's verdict and the failing stage's reason", async () => {
    const before = (await getJson(`${emulator.url}/emulator/v1/journal`)).json.entries.at(-1)?.seq ?? 0;
    const req = mutate(fresh(), (r) => (r.signature[0]! ^= 1));
    await rejectionOf(req);
    const entries = (await getJson(`${emulator.url}/emulator/v1/journal?after=${before}`)).json.entries;
    const entry = entries.find((e: any) => e.request_id === req.envelope!.requestId);
    expect(entry).toMatchObject({ rpc: "ExecuteCommand", protocol: "connect", code: "unauthenticated", reason: "invalid_signature" });
    expect(entry.stages.map((s: any) => [s.stage, s.ok])).toEqual([
      ["envelope", true],
      ["session", true],
      ["payload_hash", true],
      ["signature", false],
    ]);
    expect(entry.stages[3].reason).toBe("invalid_signature");
  });
});
