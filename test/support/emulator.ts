// Test harness: a real emulator on a free loopback port, signed-in devices, and connect-node clients
// for every protocol/transport combination the gateway serves.
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { ConnectError, createClient, type Client, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { fromBase64Url, toBase64Url } from "../../src/shared/bytes.js";
import { generateSeed, publicKeyFromSeed } from "../../src/shared/ed25519.js";
import { EdgeGateway, type GatewayEvent } from "../../src/shared/gen/galaxy/gateway/v1/gateway_pb.js";
import { subscribeEventsRequest, type DeviceIdentity } from "../../src/shared/sdk.js";
import { startEmulator, type EmulatorOptions, type RunningEmulator } from "../../src/emulator/start.js";

export function tempDir(prefix = "gge-"): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}

/**
 * A fresh emulator on a free port. Every test signs in from 127.0.0.1, so the per-IP anti-abuse
 * budget of the public auth calls is raised (tests of that layer use their own settings).
 */
export async function startTestEmulator(options: Partial<EmulatorOptions> = {}): Promise<RunningEmulator> {
  const emulator = await startEmulator({ port: 0, stateDir: tempDir(), ...options });
  await patchConfig(emulator.url, { public_rate_limits: { per_ip: { rate_per_s: 1000, burst: 10_000 } } });
  return emulator;
}

export async function patchConfig(baseUrl: string, patch: unknown): Promise<any> {
  const res = await fetch(`${baseUrl}/emulator/v1/config`, {
    method: "PATCH",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(patch),
  });
  const body = await res.json();
  if (res.status !== 200) throw new Error(`PATCH config: ${res.status} ${JSON.stringify(body)}`);
  return body;
}

export interface SignedInDevice extends DeviceIdentity {
  userId: string;
  email: string;
}

/** The fetch the JSON helpers use: the global one, or one that trusts a test certificate (tls.test.ts). */
export type Fetch = (url: string, init?: RequestInit) => Promise<Response>;

export async function postJson(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
  fetchImpl: Fetch = fetch,
): Promise<{ status: number; json: any; headers: Headers }> {
  const res = await fetchImpl(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : undefined, headers: res.headers };
}

export async function getJson(url: string, fetchImpl: Fetch = fetch): Promise<{ status: number; json: any }> {
  const res = await fetchImpl(url);
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : undefined };
}

/** The whole email-code flow through the gateway's public REST, reading the code from the mailbox. */
export async function signIn(
  baseUrl: string,
  email = `pilot-${Math.random().toString(36).slice(2)}@example.com`,
  fetchImpl: Fetch = fetch,
): Promise<SignedInDevice> {
  const sent = await postJson(`${baseUrl}/api/v1/public/auth/send-email-code`, { email }, {}, fetchImpl);
  if (sent.status !== 200) throw new Error(`send-email-code: ${sent.status} ${JSON.stringify(sent.json)}`);
  const mailbox = await getJson(`${baseUrl}/emulator/v1/mailbox?email=${encodeURIComponent(email)}`, fetchImpl);
  const message = mailbox.json.messages.findLast((m: any) => m.challenge_id === sent.json.challenge_id);
  const seed = generateSeed();
  const confirmed = await postJson(
    `${baseUrl}/api/v1/public/auth/confirm-email-code`,
    { challenge_id: sent.json.challenge_id, code: message.code, client_public_key: toBase64Url(publicKeyFromSeed(seed)) },
    {},
    fetchImpl,
  );
  if (confirmed.status !== 200) throw new Error(`confirm-email-code: ${confirmed.status} ${JSON.stringify(confirmed.json)}`);
  return { deviceSessionId: confirmed.json.device_session_id, userId: confirmed.json.user_id, email, seed };
}

export async function gatewayPublicKey(baseUrl: string): Promise<Uint8Array> {
  const info = await getJson(`${baseUrl}/api/v1/public/gateway/info`);
  return fromBase64Url(info.json.response_signing_public_key);
}

export const TRANSPORTS = {
  "connect h2": (baseUrl: string) => createConnectTransport({ baseUrl, httpVersion: "2" }),
  "connect h1": (baseUrl: string) => createConnectTransport({ baseUrl, httpVersion: "1.1" }),
  "grpc h2": (baseUrl: string) => createGrpcTransport({ baseUrl }),
  "grpc-web h2": (baseUrl: string) => createGrpcWebTransport({ baseUrl, httpVersion: "2" }),
  "grpc-web h1": (baseUrl: string) => createGrpcWebTransport({ baseUrl, httpVersion: "1.1" }),
} satisfies Record<string, (baseUrl: string) => Transport>;

/** The JSON codec (the web console's connect-web client uses it), for the few tests that need it. */
export const JSON_TRANSPORTS = {
  "connect json h1": (baseUrl: string) => createConnectTransport({ baseUrl, httpVersion: "1.1", useBinaryFormat: false }),
  "grpc-web json h2": (baseUrl: string) => createGrpcWebTransport({ baseUrl, httpVersion: "2", useBinaryFormat: false }),
} satisfies Record<string, (baseUrl: string) => Transport>;

export type TransportName = keyof typeof TRANSPORTS | keyof typeof JSON_TRANSPORTS;
export const TRANSPORT_NAMES = Object.keys(TRANSPORTS) as TransportName[];
export const JSON_TRANSPORT_NAMES = Object.keys(JSON_TRANSPORTS) as TransportName[];
const ALL_TRANSPORTS: Record<TransportName, (baseUrl: string) => Transport> = { ...TRANSPORTS, ...JSON_TRANSPORTS };

export function edgeClient(baseUrl: string, transport: TransportName = "connect h2"): Client<typeof EdgeGateway> {
  return createClient(EdgeGateway, ALL_TRANSPORTS[transport](baseUrl));
}

/** A SubscribeEvents stream read one event at a time, with the error that ends it. */
export function subscribe(baseUrl: string, device: DeviceIdentity, transport: TransportName = "connect h2") {
  const abort = new AbortController();
  const iterator = edgeClient(baseUrl, transport)
    .subscribeEvents(subscribeEventsRequest(device), { signal: abort.signal })
    [Symbol.asyncIterator]();
  return {
    next: async (): Promise<GatewayEvent> => {
      const r = await iterator.next();
      if (r.done) throw new Error("stream ended");
      return r.value;
    },
    /** Resolves with the ConnectError that ends the stream (after draining events). */
    ended: async (): Promise<ConnectError> => {
      try {
        for (;;) if ((await iterator.next()).done) throw new Error("stream ended without an error");
      } catch (err) {
        return ConnectError.from(err);
      }
    },
    cancel: () => abort.abort(),
  };
}
