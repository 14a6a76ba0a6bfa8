// An external client not written here: `buf curl` (from @bufbuild/buf) calls a running emulator,
// ExecuteCommand over gRPC (h2c) and gRPC-Web (HTTP/1.1), SubscribeEvents over Connect.
// Requests are signed by src/shared; buf curl only sees protobuf JSON.
import path from "node:path";
import { fromJson, toJsonString } from "@bufbuild/protobuf";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ExecuteCommandRequestSchema,
  ExecuteCommandResponseSchema,
  GatewayEventSchema,
  SubscribeEventsRequestSchema,
} from "../../src/shared/gen/galaxy/gateway/v1/gateway_pb.js";
import { executeCommandRequest, subscribeEventsRequest, verifyEvent, verifyResponse } from "../../src/shared/sdk.js";
import type { RunningEmulator } from "../../src/emulator/start.js";
import { gatewayPublicKey, postJson, signIn, startTestEmulator, type SignedInDevice } from "../support/emulator.js";
import { bufCurl, jsonObjects, ROOT } from "./buf-cli.js";

const SCHEMA = ["--schema", path.join(ROOT, "proto")];
const SERVICE = "galaxy.gateway.v1.EdgeGateway";

let emulator: RunningEmulator;
let gatewayKey: Uint8Array;
let device: SignedInDevice;

beforeAll(async () => {
  emulator = await startTestEmulator();
  gatewayKey = await gatewayPublicKey(emulator.url);
  device = await signIn(emulator.url);
});
afterAll(() => emulator.close());

describe.each([
  ["grpc", ["--protocol", "grpc", "--http2-prior-knowledge"]],
  ["grpcweb", ["--protocol", "grpcweb"]],
])("buf curl ExecuteCommand over %s", (_protocol, flags) => {
  it("gets a signed response that verifies", async () => {
    const req = executeCommandRequest(device, { messageType: "user.profile.get" });
    const result = await bufCurl([...SCHEMA, ...flags, "--data", toJsonString(ExecuteCommandRequestSchema, req), `${emulator.url}/${SERVICE}/ExecuteCommand`]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const res = fromJson(ExecuteCommandResponseSchema, JSON.parse(result.stdout));
    expect(res.envelope?.resultCode).toBe("ok");
    expect(verifyResponse(res, gatewayKey, { requestId: req.envelope!.requestId })).toEqual({ ok: true });
  });

  it("gets the gateway's rejection with its code", async () => {
    const req = executeCommandRequest(device, { messageType: "user.profile.get", timestampMs: 0 });
    const result = await bufCurl([...SCHEMA, ...flags, "--data", toJsonString(ExecuteCommandRequestSchema, req), `${emulator.url}/${SERVICE}/ExecuteCommand`]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain("unauthenticated");
    expect(result.stderr).toContain("stale_request");
  });
});

it("buf curl SubscribeEvents over Connect receives server_time and a push, then the revocation", async () => {
  const subscriber = await signIn(emulator.url);
  const req = subscribeEventsRequest(subscriber);
  let injected = false;
  let revoked = false;
  let eventId = "";
  const result = await bufCurl(
    [...SCHEMA, "--protocol", "connect", "--data", toJsonString(SubscribeEventsRequestSchema, req), `${emulator.url}/${SERVICE}/SubscribeEvents`],
    (stdout) => {
      const count = jsonObjects(stdout).length;
      if (count >= 1 && !injected) {
        injected = true;
        void postJson(`${emulator.url}/emulator/v1/push`, {
          client_event: { user_id: subscriber.userId, event_type: "game.hello", payload: { hi: 1 } },
        }).then((r) => (eventId = r.json.event_id));
      }
      if (count >= 2 && !revoked) {
        revoked = true;
        void postJson(`${emulator.url}/emulator/v1/push`, {
          session_invalidation: { user_id: subscriber.userId, device_session_id: subscriber.deviceSessionId, reason: "test" },
        });
      }
    },
  );
  const events = jsonObjects(result.stdout).map((o) => fromJson(GatewayEventSchema, o as never));
  expect(events.map((e) => e.envelope?.eventType)).toEqual(["gateway.server_time", "game.hello"]);
  expect(events[1]!.envelope!.eventId).toBe(eventId);
  for (const e of events) expect(verifyEvent(e, gatewayKey)).toEqual({ ok: true });
  expect(result.code).not.toBe(0);
  expect(result.stderr).toContain("failed_precondition");
  expect(result.stderr).toContain("session_revoked");
});
