// The EdgeGateway client, exactly as a browser game client talks to it: Connect over fetch
// (HTTP/1.1), same origin; and the device's keys as src/shared's signing and verifying take them.
import { createClient, type Client } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-web";
import { create, toJsonString } from "@bufbuild/protobuf";
import { fromBase64Url, fromHex } from "../../shared/bytes.js";
import type { StoredDevice } from "../../shared/bridge.js";
import { EdgeGateway, ExecuteCommandRequestSchema, type ExecuteCommandRequest } from "../../shared/gen/galaxy/gateway/v1/gateway_pb.js";
import type { DeviceIdentity, SignedRequest } from "../../shared/sdk.js";

export type GatewayClient = Client<typeof EdgeGateway>;

export function createGatewayClient(origin: string): GatewayClient {
  return createClient(EdgeGateway, createConnectTransport({ baseUrl: origin }));
}

export function identityOf(device: StoredDevice): DeviceIdentity {
  return { deviceSessionId: device.deviceSessionId, seed: fromHex(device.seedHex) };
}

export function pinnedKeyOf(device: StoredDevice): Uint8Array {
  return fromBase64Url(device.gatewayKey);
}

export function toWire(signed: SignedRequest): ExecuteCommandRequest {
  return create(ExecuteCommandRequestSchema, {
    envelope: signed.envelope,
    payloadBytes: signed.payloadBytes,
    signature: signed.signature,
  });
}

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
