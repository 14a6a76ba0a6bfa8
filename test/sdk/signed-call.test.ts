// The SDK's lower level (src/sdk/signed-call.ts), imported by the package's name as a tool would: one
// request signed with a device's key and sent through the SDK's RPC client, its answer verified; a
// request broken after signing, refused; a stream event verified against the subscription it answers.
// The web console is built on these (docs/ARCHITECTURE.md), so what it shows is what they decide.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  commandRequest,
  createEdgeGatewayRpc,
  signRequest,
  subscribeEventsRequest,
  verifyResponse,
  verifyStreamEvent,
  type DeviceIdentity,
} from "galaxy-gateway-emulator/sdk";
import { startTestEmulator, type TestEmulator } from "galaxy-gateway-emulator/testing";

const T = 30_000;
let emulator: TestEmulator;
let device: DeviceIdentity;
let gatewayKey: Uint8Array;

beforeAll(async () => {
  emulator = await startTestEmulator();
  const exported = (await emulator.signIn()).exportDevice();
  device = { deviceSessionId: exported.device_session_id, seed: new Uint8Array(Buffer.from(exported.seed, "base64url")) };
  gatewayKey = new Uint8Array(Buffer.from(emulator.gatewayPublicKey, "base64url"));
}, T);
afterAll(async () => {
  await emulator?.close();
});

describe("signed calls, one at a time", () => {
  it.each(["connect", "grpcweb"] as const)("signs, sends over %s and verifies the answer against the pinned key", async (protocol) => {
    const rpc = createEdgeGatewayRpc({ baseUrl: emulator.url, protocol });
    const signed = signRequest(device, { messageType: "user.profile.get", payload: {} });
    expect(signed.signingInput.length).toBeGreaterThan(0);
    expect(signed.signature).toHaveLength(64);
    const response = await rpc.executeCommand(commandRequest(signed));
    const echo = { deviceSessionId: device.deviceSessionId, requestId: signed.envelope.requestId };
    expect(verifyResponse(response, gatewayKey, echo)).toEqual({ ok: true });
    expect(verifyResponse(response, gatewayKey, { ...echo, requestId: "r-other" })).toEqual({ ok: false, problem: "request_id not echoed" });
    expect(verifyResponse(response, new Uint8Array(32).fill(7), echo)).toMatchObject({ ok: false });
  }, T);

  it("sends a request broken after signing as is: the gateway refuses it at the signature stage", async () => {
    const rpc = createEdgeGatewayRpc({ baseUrl: emulator.url });
    const signed = signRequest(device, { messageType: "user.profile.get", payload: {} });
    const signature = signed.signature.slice();
    signature[0]! ^= 1;
    const error = await rpc.executeCommand(commandRequest({ ...signed, signature })).catch((e: unknown) => e);
    expect(String(error)).toContain("invalid_signature");
    expect(await emulator.journal.find({ requestId: signed.envelope.requestId })).toMatchObject([{ reason: "invalid_signature", code: "unauthenticated" }]);
  }, T);

  it("verifies a stream event against the subscription it answers", async () => {
    const rpc = createEdgeGatewayRpc({ baseUrl: emulator.url, protocol: "grpcweb" });
    const request = subscribeEventsRequest(device);
    const abort = new AbortController();
    const stream = rpc.subscribeEvents(request, { signal: abort.signal })[Symbol.asyncIterator]();
    const first = (await stream.next()).value!;
    abort.abort();
    const subscription = { deviceSessionId: device.deviceSessionId, requestId: request.envelope!.requestId };
    expect(first.envelope?.eventType).toBe("gateway.server_time");
    expect(verifyStreamEvent(first, gatewayKey, subscription)).toEqual({ ok: true });
    expect(verifyStreamEvent(first, gatewayKey, { ...subscription, requestId: "r-other" })).toEqual({ ok: false, problem: "request_id does not echo the subscription" });
    expect(verifyStreamEvent(first, gatewayKey, { ...subscription, deviceSessionId: "ds-other" })).toEqual({ ok: false, problem: "device_session_id is not this session" });
    expect(verifyStreamEvent(first, new Uint8Array(32).fill(7), subscription)).toEqual({ ok: false, problem: "bad signature" });
  }, T);
});
