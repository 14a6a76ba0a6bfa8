// The EdgeGateway client, exactly as a browser game client talks to it: Connect over fetch
// (HTTP/1.1), same origin, requests signed and responses verified with src/shared.
import { createClient, type Client } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-web";
import { create } from "@bufbuild/protobuf";
import { fromBase64Url, fromHex } from "../../shared/bytes.js";
import type { StoredDevice } from "../../shared/bridge.js";
import {
  EdgeGateway,
  ExecuteCommandRequestSchema,
  type ExecuteCommandRequest,
  type ExecuteCommandResponse,
} from "../../shared/gen/galaxy/gateway/v1/gateway_pb.js";
import { signRequest, verifyResponse, type DeviceIdentity, type SignedRequest, type Verification } from "../../shared/sdk.js";
import { toRejection, type Rejection } from "./rejection.js";

let client: Client<typeof EdgeGateway> | undefined;

export function gatewayClient(): Client<typeof EdgeGateway> {
  client ??= createClient(EdgeGateway, createConnectTransport({ baseUrl: location.origin }));
  return client;
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

export interface CallOutcome {
  request: ExecuteCommandRequest;
  elapsedMs: number;
  response?: ExecuteCommandResponse;
  verification?: Verification;
  rejection?: Rejection;
}

/** Sends a (possibly tampered) request as is; verifies a response against the pinned key. */
export async function sendRequest(
  request: ExecuteCommandRequest,
  pinnedKey: Uint8Array,
  expect: { deviceSessionId?: string; requestId?: string } = {},
): Promise<CallOutcome> {
  const started = performance.now();
  try {
    const response = await gatewayClient().executeCommand(request);
    return {
      request,
      elapsedMs: performance.now() - started,
      response,
      verification: verifyResponse(response, pinnedKey, expect),
    };
  } catch (e) {
    return { request, elapsedMs: performance.now() - started, rejection: toRejection(e) };
  }
}

export interface CommandOutcome extends CallOutcome {
  signed: SignedRequest;
  device: StoredDevice;
}

/** Signs a command with the device key and sends it. `payload` is a JSON value (or undefined: empty). */
export async function runCommand(device: StoredDevice, messageType: string, payload: unknown): Promise<CommandOutcome> {
  const signed = signRequest(identityOf(device), { messageType, payload });
  const outcome = await sendRequest(toWire(signed), pinnedKeyOf(device), {
    deviceSessionId: device.deviceSessionId,
    requestId: signed.envelope.requestId,
  });
  return { ...outcome, signed, device };
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

export function parsePayload(bytes: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return undefined;
  }
}
