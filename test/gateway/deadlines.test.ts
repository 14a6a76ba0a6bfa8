// Deadlines (grpc-timeout, connect-timeout-ms) through a real gateway in front of a fake backend that
// can hang: a call whose deadline runs out answers DEADLINE_EXCEEDED `deadline_exceeded` at the stage
// where time ran out, on every protocol, unary and streaming, and the journal says so. The deadline
// is sent as a header by clients that keep no timer of their own, so the code seen is the gateway's.
// A backend slower than the gateway's own cap stays UNAVAILABLE `backend_unavailable`.
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import * as grpc from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningGateway } from "../../src/gateway/gateway.js";
import { EdgeGateway, GatewayErrorSchema, type GatewayEvent } from "../../src/shared/gen/galaxy/gateway/v1/gateway_pb.js";
import { executeCommandRequest, subscribeEventsRequest, type DeviceIdentity } from "../../src/shared/sdk.js";
import { gatewayFor } from "../hardening/support.js";
import { getJson, JSON_TRANSPORTS, TRANSPORTS, type TransportName } from "../support/emulator.js";
import { grpcJsEdgeClient } from "./grpc-js-client.js";
import { startOneDeviceBackend, UNLIMITED_RATES, type OneDeviceBackend } from "./one-device-backend.js";

/** Long enough for the stages before the hanging one on a loaded machine; the test waits for it once per call. */
const DEADLINE_MS = 1_000;

let backend: OneDeviceBackend;
let gateway: RunningGateway;
let device: DeviceIdentity;
let hangs: OneDeviceBackend["hangs"];

beforeAll(async () => {
  backend = await startOneDeviceBackend();
  ({ device, hangs } = backend);
  gateway = await gatewayFor(backend.url, { config: UNLIMITED_RATES });
});
afterAll(async () => {
  await gateway?.close(0);
  await backend?.close();
});

const ALL_TRANSPORTS = { ...TRANSPORTS, ...JSON_TRANSPORTS };
const TRANSPORT_LIST = Object.keys(ALL_TRANSPORTS) as TransportName[];

/** The deadline header of the transport's protocol, as a client with a deadline sends it. */
function deadlineHeader(transport: TransportName, ms: number): Record<string, string> {
  return transport.startsWith("connect") ? { "connect-timeout-ms": String(ms) } : { "grpc-timeout": `${ms}m` };
}

function client(transport: TransportName, url = gateway.url) {
  return createClient(EdgeGateway, ALL_TRANSPORTS[transport](url));
}

function outcomeOf(err: unknown) {
  const e = ConnectError.from(err);
  const detail = e.findDetails(GatewayErrorSchema)[0];
  return { code: Code[e.code], reason: detail?.reason, stage: detail?.stage };
}

/**
 * The journal entry of a request (the first, or the first with `code`), waiting for it (long-poll) if
 * the client heard first.
 */
async function journalEntry(url: string, requestId: string, code?: string) {
  let after = 0;
  for (;;) {
    const { json } = await getJson(`${url}/emulator/v1/journal?after=${after}&wait_ms=5000`);
    const entry = json.entries.find((e: { request_id: string; code: string }) => e.request_id === requestId && (code === undefined || e.code === code));
    if (entry) return entry;
    after = json.entries.at(-1)?.seq ?? after;
  }
}

async function executeWithDeadline(transport: TransportName, url = gateway.url, ms = DEADLINE_MS) {
  const req = executeCommandRequest(device, { messageType: "user.profile.get" });
  try {
    await client(transport, url).executeCommand(req, { headers: deadlineHeader(transport, ms) });
  } catch (err) {
    return { outcome: outcomeOf(err), entry: await journalEntry(url, req.envelope!.requestId) };
  }
  throw new Error("expected the call to fail");
}

describe.each(TRANSPORT_LIST)("ExecuteCommand with a deadline over %s", (transport) => {
  it("the routed call hangs: DEADLINE_EXCEEDED deadline_exceeded at stage backend, journaled as such", async () => {
    Object.assign(hangs, { session: false, user: true });
    const { outcome, entry } = await executeWithDeadline(transport);
    expect(outcome).toEqual({ code: "DeadlineExceeded", reason: "deadline_exceeded", stage: "backend" });
    expect(entry).toMatchObject({ code: "deadline_exceeded", reason: "deadline_exceeded" });
    expect(entry.stages.at(-1)).toMatchObject({ stage: "backend", ok: false, reason: "deadline_exceeded" });
  });

  it("the session lookup hangs: DEADLINE_EXCEEDED deadline_exceeded at stage session, journaled as such", async () => {
    Object.assign(hangs, { session: true, user: false });
    const { outcome, entry } = await executeWithDeadline(transport);
    expect(outcome).toEqual({ code: "DeadlineExceeded", reason: "deadline_exceeded", stage: "session" });
    expect(entry).toMatchObject({ code: "deadline_exceeded", reason: "deadline_exceeded" });
    expect(entry.stages.at(-1)).toMatchObject({ stage: "session", ok: false, reason: "deadline_exceeded" });
  });
});

describe.each(TRANSPORT_LIST)("SubscribeEvents with a deadline over %s", (transport) => {
  it("ends with DEADLINE_EXCEEDED deadline_exceeded (stage push) once the deadline runs out, journaled so", async () => {
    Object.assign(hangs, { session: false, user: false });
    const events: GatewayEvent[] = [];
    const req = subscribeEventsRequest(device);
    const stream = client(transport).subscribeEvents(req, { headers: deadlineHeader(transport, DEADLINE_MS) });
    let ended: unknown = "the stream ended without an error";
    try {
      for await (const event of stream) events.push(event);
    } catch (err) {
      ended = outcomeOf(err);
    }
    expect(events.map((e) => e.envelope?.eventType)).toEqual(["gateway.server_time"]);
    expect(ended).toEqual({ code: "DeadlineExceeded", reason: "deadline_exceeded", stage: "push" });
    // The stream's opening is journaled ok, its ending by the deadline as an entry of its own.
    const requestId = req.envelope!.requestId;
    expect(await journalEntry(gateway.url, requestId)).toMatchObject({ rpc: "SubscribeEvents", code: "ok" });
    const ending = await journalEntry(gateway.url, requestId, "deadline_exceeded");
    expect(ending).toMatchObject({ rpc: "SubscribeEvents", reason: "deadline_exceeded" });
    expect(ending.stages.map((s: { stage: string }) => s.stage)).toEqual([
      "envelope", "session", "payload_hash", "signature", "freshness", "replay", "rate_limit", "push",
    ]);
    expect(ending.stages.at(-1)).toMatchObject({ stage: "push", ok: false, reason: "deadline_exceeded" });
  });

  it("the session lookup hangs: DEADLINE_EXCEEDED deadline_exceeded at stage session", async () => {
    Object.assign(hangs, { session: true, user: false });
    const req = subscribeEventsRequest(device);
    let ended: unknown = "the stream ended without an error";
    try {
      for await (const _ of client(transport).subscribeEvents(req, { headers: deadlineHeader(transport, DEADLINE_MS) }));
    } catch (err) {
      ended = outcomeOf(err);
    }
    expect(ended).toEqual({ code: "DeadlineExceeded", reason: "deadline_exceeded", stage: "session" });
    const entry = await journalEntry(gateway.url, req.envelope!.requestId);
    expect(entry).toMatchObject({ rpc: "SubscribeEvents", code: "deadline_exceeded", reason: "deadline_exceeded" });
  });
});

describe("a backend slower than the gateway's own cap, within the client's deadline", () => {
  it("stays UNAVAILABLE backend_unavailable (the backend's fault, retryable)", async () => {
    Object.assign(hangs, { session: false, user: true });
    const capped = await gatewayFor(backend.url, { limits: { backendTimeoutMs: 200 } });
    try {
      for (const transport of ["connect h2", "grpc h2", "grpc-web h1"] as const) {
        const { outcome, entry } = await executeWithDeadline(transport, capped.url, 60_000);
        expect(outcome, transport).toEqual({ code: "Unavailable", reason: "backend_unavailable", stage: "backend" });
        expect(entry).toMatchObject({ code: "unavailable", reason: "backend_unavailable" });
      }
    } finally {
      await capped.close(0);
    }
  });
});

describe("@grpc/grpc-js with a deadline", () => {
  it("unary: DEADLINE_EXCEEDED, and the journal records deadline_exceeded at stage backend", async () => {
    Object.assign(hangs, { session: false, user: true });
    const grpcClient = grpcJsEdgeClient(gateway.url);
    const req = executeCommandRequest(device, { messageType: "user.profile.get" });
    try {
      const err = await grpcClient.executeCommand(req, new Date(Date.now() + DEADLINE_MS)).then(
        () => undefined,
        (e: grpc.ServiceError) => e,
      );
      expect(err?.code).toBe(grpc.status.DEADLINE_EXCEEDED);
      // grpc-js keeps its own timer and may cancel (RST_STREAM) a moment before the gateway's fires: that
      // counts as the deadline too (DEADLINE_GRACE_MS), never as the backend's fault. journalEntry waits.
      const entry = await journalEntry(gateway.url, req.envelope!.requestId);
      expect(entry).toMatchObject({ code: "deadline_exceeded", reason: "deadline_exceeded" });
      expect(entry.stages.at(-1)).toMatchObject({ stage: "backend", ok: false, reason: "deadline_exceeded" });
    } finally {
      grpcClient.close();
    }
  });

  it("server stream: server_time, then DEADLINE_EXCEEDED", async () => {
    Object.assign(hangs, { session: false, user: false });
    const grpcClient = grpcJsEdgeClient(gateway.url);
    try {
      const { events, status } = await grpcClient.subscribeEvents(subscribeEventsRequest(device), new Date(Date.now() + DEADLINE_MS));
      expect(events.map((e) => e.envelope?.eventType)).toEqual(["gateway.server_time"]);
      expect(status.code).toBe(grpc.status.DEADLINE_EXCEEDED);
    } finally {
      grpcClient.close();
    }
  });
});
