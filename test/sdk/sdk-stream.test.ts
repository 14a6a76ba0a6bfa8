// The SDK's event stream against a scripted fake gateway (connect-node on loopback, signing with a key
// of its own): what a real gateway does only under faults — a stream cut and resumed with an event
// delivered twice, a forged event, a final rejection, no answer at all — on demand, connection by
// connection; and a REST answer too large to hold.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, type ConnectRouter } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { afterEach, describe, expect, it } from "vitest";
import { toBase64Url, utf8 } from "../../src/shared/bytes.js";
import { generateSeed, publicKeyFromSeed, sign } from "../../src/shared/ed25519.js";
import {
  EdgeGateway,
  EventEnvelopeSchema,
  GatewayErrorSchema,
  GatewayEventSchema,
  type GatewayEvent,
  type SubscribeEventsRequest,
} from "../../src/shared/gen/galaxy/gateway/v1/gateway_pb.js";
import { sha256 } from "../../src/shared/hash.js";
import { eventSigningInput } from "../../src/shared/signing-input.js";
import { createGatewayClient, GatewayCallError, GatewayHttpError, VerificationError, type DeviceExport, type ReceivedEvent } from "../../src/sdk/index.js";

const T = 20_000;
const gatewaySeed = generateSeed();
const deviceExport: DeviceExport = {
  format: "galaxy-gateway-device/v1",
  device_session_id: "ds-1",
  user_id: "u-1",
  seed: toBase64Url(generateSeed()),
  gateway_public_key: toBase64Url(publicKeyFromSeed(gatewaySeed)),
};

/** What one connection does: the events to send (by id and type), then how it ends. */
interface Connection {
  events: { id: string; type: string; forged?: boolean }[];
  end: "unavailable" | "revoked" | "unknown_session" | "hold";
}

function event(req: SubscribeEventsRequest, e: Connection["events"][number]): GatewayEvent {
  const payloadBytes = utf8(JSON.stringify(e.type === "gateway.server_time" ? { server_time_ms: Date.now() } : { id: e.id }));
  const envelope = create(EventEnvelopeSchema, {
    protocolVersion: 1,
    deviceSessionId: req.envelope!.deviceSessionId,
    eventType: e.type,
    eventId: e.id,
    timestampMs: BigInt(Date.now()),
    requestId: req.envelope!.requestId,
    payloadHash: sha256(payloadBytes),
  });
  const signature = sign(eventSigningInput(envelope), e.forged ? generateSeed() : gatewaySeed);
  return create(GatewayEventSchema, { envelope, payloadBytes, signature });
}

function rejection(code: Code, reason: string): ConnectError {
  return new ConnectError(reason, code, undefined, [{ desc: GatewayErrorSchema, value: { reason, stage: "push" } }]);
}

let server: http.Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
});

/** Starts a fake gateway that plays `script`, one entry per SubscribeEvents call; returns its URL. */
async function fakeGateway(script: Connection[]): Promise<string> {
  let calls = 0;
  const routes = (router: ConnectRouter) =>
    router.service(EdgeGateway, {
      /** Never answers: the client's deadline must end the call. */
      async executeCommand(_req, ctx) {
        await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
        throw new ConnectError("cancelled", Code.Canceled);
      },
      async *subscribeEvents(req, ctx) {
        const connection = script[calls++];
        if (!connection) throw new ConnectError("script exhausted", Code.Internal);
        for (const e of connection.events) yield event(req, e);
        if (connection.end === "unavailable") throw rejection(Code.Unavailable, "gateway_shutting_down");
        if (connection.end === "revoked") throw rejection(Code.FailedPrecondition, "session_revoked");
        if (connection.end === "unknown_session") throw rejection(Code.Unauthenticated, "unknown_session");
        await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
      },
    });
  server = http.createServer(connectNodeAdapter({ routes }));
  await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server!.address() as AddressInfo).port}`;
}

/** Reads the stream until it yields `count` events or ends; returns them and the error that ended it. */
async function read(stream: AsyncGenerator<ReceivedEvent>, count: number): Promise<{ events: string[]; error?: unknown }> {
  const events: string[] = [];
  try {
    for await (const e of stream) {
      events.push(`${e.eventType}:${e.eventId}`);
      if (events.length === count) break;
    }
  } catch (error) {
    return { events, error };
  }
  return { events };
}

const FAST = { baseMs: 1, capMs: 1 };

describe("subscribe against a scripted gateway", () => {
  it.each(["connect", "grpcweb"] as const)("reconnects after UNAVAILABLE and drops the event delivered twice (%s)", async (protocol) => {
    const baseUrl = await fakeGateway([
      { events: [{ id: "1", type: "gateway.server_time" }, { id: "e1", type: "game.ping" }], end: "unavailable" },
      { events: [{ id: "1", type: "gateway.server_time" }, { id: "e1", type: "game.ping" }, { id: "e2", type: "game.ping" }], end: "hold" },
    ]);
    const client = createGatewayClient({ baseUrl, protocol, device: deviceExport, backoff: FAST });
    const reconnects: string[] = [];
    const stream = client.subscribe({ onReconnect: ({ error }) => reconnects.push(`${error.code} ${error.reason}`) });
    const { events } = await read(stream, 4);
    expect(events).toEqual(["gateway.server_time:1", "game.ping:e1", "gateway.server_time:1", "game.ping:e2"]);
    expect(reconnects).toEqual(["unavailable gateway_shutting_down"]);
  }, T);

  it("drops a connection that sends no first event within timeoutMs, and reconnects", async () => {
    const baseUrl = await fakeGateway([
      { events: [], end: "hold" },
      { events: [{ id: "1", type: "gateway.server_time" }], end: "hold" },
    ]);
    const client = createGatewayClient({ baseUrl, device: deviceExport, backoff: FAST, timeoutMs: 200 });
    const reconnects: string[] = [];
    const { events } = await read(client.subscribe({ onReconnect: ({ error }) => reconnects.push(`${error.code}: ${error.message}`) }), 1);
    expect(events).toEqual(["gateway.server_time:1"]);
    expect(reconnects).toEqual(["unavailable: the stream sent no first event within 200 ms"]);
  }, T);

  it("ends a command without an answer with deadline_exceeded after timeoutMs", async () => {
    const baseUrl = await fakeGateway([]);
    const client = createGatewayClient({ baseUrl, device: deviceExport, timeoutMs: 200 });
    const error = await client.execute("user.profile.get").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GatewayCallError);
    expect(error).toMatchObject({ code: "deadline_exceeded" });
  }, T);

  it("ends with a GatewayCallError on session_revoked, without reconnecting", async () => {
    const baseUrl = await fakeGateway([{ events: [{ id: "1", type: "gateway.server_time" }], end: "revoked" }]);
    const client = createGatewayClient({ baseUrl, device: deviceExport, backoff: FAST });
    const { events, error } = await read(client.subscribe(), 10);
    expect(events).toEqual(["gateway.server_time:1"]);
    expect(error).toBeInstanceOf(GatewayCallError);
    expect(error).toMatchObject({ code: "failed_precondition", reason: "session_revoked", stage: "push" });
  }, T);

  it("ends with the rejection when it is not transient (unknown_session)", async () => {
    const baseUrl = await fakeGateway([{ events: [], end: "unknown_session" }]);
    const client = createGatewayClient({ baseUrl, device: deviceExport, backoff: FAST });
    const { error } = await read(client.subscribe(), 10);
    expect(error).toMatchObject({ code: "unauthenticated", reason: "unknown_session" });
  }, T);

  it("ends with a VerificationError on an event not signed by the pinned key", async () => {
    const baseUrl = await fakeGateway([
      { events: [{ id: "1", type: "gateway.server_time" }, { id: "e1", type: "game.ping", forged: true }], end: "hold" },
    ]);
    const client = createGatewayClient({ baseUrl, device: deviceExport, backoff: FAST });
    const { events, error } = await read(client.subscribe(), 10);
    expect(events).toEqual(["gateway.server_time:1"]);
    expect(error).toBeInstanceOf(VerificationError);
    expect((error as VerificationError).problem).toBe("bad signature");
  }, T);
});

describe("the public REST calls against a misbehaving server", () => {
  it("refuses an answer larger than 64 KiB without reading it all", async () => {
    server = http.createServer((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(`{"pad":"${"x".repeat(200 * 1024)}"}`);
    });
    await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
    const client = createGatewayClient({ baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
    const error = await client.gatewayInfo().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GatewayHttpError);
    expect(error).toMatchObject({ status: 200, code: "answer_too_large" });
  }, T);
});
