// The EdgeGateway client, exactly as a browser game client talks to it: the SDK's RPC client (Connect
// over fetch, HTTP/1.1, same origin); and the device's keys as the SDK's signing and verifying take them.
import { toJsonString } from "@bufbuild/protobuf";
import { fromBase64Url, fromHex } from "../../shared/bytes.js";
import type { StoredDevice } from "../../shared/bridge.js";
import { ExecuteCommandRequestSchema } from "../../shared/gen/galaxy/gateway/v1/gateway_pb.js";
import { commandRequest, createEdgeGatewayRpc, type DeviceIdentity, type EdgeGatewayRpc, type SignedRequest } from "../../sdk/signed-call.js";

export type GatewayClient = EdgeGatewayRpc;

export function createGatewayClient(origin: string): GatewayClient {
  return createEdgeGatewayRpc({ baseUrl: origin, protocol: "connect" });
}

export function identityOf(device: StoredDevice): DeviceIdentity {
  return { deviceSessionId: device.deviceSessionId, seed: fromHex(device.seedHex) };
}

export function pinnedKeyOf(device: StoredDevice): Uint8Array {
  return fromBase64Url(device.gatewayKey);
}

/** A (possibly tampered) signed request as ExecuteCommand sends it. */
export const toWire = commandRequest;

/** The signed request as protobuf JSON: what `buf curl`, grpcurl and Connect's JSON form send. */
export function requestJson(signed: SignedRequest): string {
  return toJsonString(ExecuteCommandRequestSchema, toWire(signed));
}

/** The response payload as pretty JSON (or the raw text if it is not JSON). */
export function prettyPayload(bytes: Uint8Array): string {
  if (bytes.length === 0) return "(empty)";
  const text = new TextDecoder().decode(bytes);
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}
