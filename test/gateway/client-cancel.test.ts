// A client that goes away while its call waits on the backend (RST_STREAM CANCEL on HTTP/2, the socket
// closed on HTTP/1.1) is never the backend's fault. Clients with a deadline timer of their own
// (connect-es timeoutMs, grpc-js deadline) cancel at about the moment the gateway's timer fires: an
// abort that close to the deadline is the deadline running out, DEADLINE_EXCEEDED `deadline_exceeded`.
// Further from it (or without one) it is the client cancelling: CANCELED `client_cancelled`.
// The test cancels when the fake backend says the call reached it, so the abort is never timed.
import { createClient } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningGateway } from "../../src/gateway/gateway.js";
import { DEADLINE_GRACE_MS } from "../../src/gateway/stages/stage.js";
import { EdgeGateway } from "../../src/shared/gen/galaxy/gateway/v1/gateway_pb.js";
import { executeCommandRequest, subscribeEventsRequest } from "../../src/shared/sdk.js";
import { gatewayFor } from "../hardening/support.js";
import { getJson, TRANSPORT_NAMES, TRANSPORTS, type TransportName } from "../support/emulator.js";
import { startOneDeviceBackend, UNLIMITED_RATES, type OneDeviceBackend } from "./one-device-backend.js";

let backend: OneDeviceBackend;
let gateway: RunningGateway;

beforeAll(async () => {
  backend = await startOneDeviceBackend();
  gateway = await gatewayFor(backend.url, { config: UNLIMITED_RATES });
});
afterAll(async () => {
  await gateway?.close(0);
  await backend?.close();
});

/**
 * A deadline no longer than the grace: whenever the client aborts, the time left is within the grace,
 * so the gateway must count it as the deadline running out (whether its own timer fired first or not).
 */
const WITHIN_GRACE_MS = DEADLINE_GRACE_MS;
/** A deadline the test never comes near. */
const FAR_MS = 60_000;

function deadlineHeader(transport: TransportName, ms: number): Record<string, string> {
  return transport.startsWith("connect") ? { "connect-timeout-ms": String(ms) } : { "grpc-timeout": `${ms}m` };
}

/** The journal entries of a request, waiting (long-poll) until one with a code other than `ok` is there. */
async function journalEnding(requestId: string) {
  let after = 0;
  const mine: { code: string; reason?: string; stages: { stage: string; ok: boolean; reason?: string }[] }[] = [];
  for (;;) {
    const { json } = await getJson(`${gateway.url}/emulator/v1/journal?after=${after}&wait_ms=5000`);
    mine.push(...json.entries.filter((e: { request_id: string }) => e.request_id === requestId));
    const ending = mine.find((e) => e.code !== "ok");
    if (ending) return { ending, all: mine };
    after = json.entries.at(-1)?.seq ?? after;
  }
}

/**
 * An ExecuteCommand whose client aborts as soon as the part of the fake backend that hangs has the
 * request (or when the call has already ended, e.g. its deadline ran out before reaching that part).
 */
async function executeAndCancel(transport: TransportName, part: "session" | "user", headers: Record<string, string>) {
  Object.assign(backend.hangs, { session: part === "session", user: part === "user" });
  const reached = backend.hung(part);
  const abort = new AbortController();
  const req = executeCommandRequest(backend.device, { messageType: "user.profile.get" });
  const answered = createClient(EdgeGateway, TRANSPORTS[transport as keyof typeof TRANSPORTS](gateway.url))
    .executeCommand(req, { headers, signal: abort.signal })
    .then(
      () => "answered",
      () => "failed",
    );
  await Promise.race([reached, answered]);
  abort.abort();
  await answered;
  return journalEnding(req.envelope!.requestId);
}

describe.each(TRANSPORT_NAMES)("a client over %s that aborts while the call waits on the backend", (transport) => {
  it.each(["user", "session"] as const)(
    "with a deadline within the grace (%s call hanging): journaled deadline_exceeded, never backend_unavailable",
    async (part) => {
      const { ending } = await executeAndCancel(transport, part, deadlineHeader(transport, WITHIN_GRACE_MS));
      expect(ending).toMatchObject({ code: "deadline_exceeded", reason: "deadline_exceeded" });
      expect(ending.stages.at(-1)).toMatchObject({ ok: false, reason: "deadline_exceeded" });
    },
  );

  it.each([
    ["no deadline", "user", {}],
    ["no deadline", "session", {}],
    ["a far deadline", "user", deadlineHeader(transport, FAR_MS)],
  ] as const)("with %s (%s call hanging): journaled canceled client_cancelled at that stage", async (_, part, headers) => {
    const { ending } = await executeAndCancel(transport, part, headers);
    expect(ending).toMatchObject({ code: "canceled", reason: "client_cancelled" });
    expect(ending.stages.at(-1)).toEqual({
      stage: part === "user" ? "backend" : "session",
      ok: false,
      ms: expect.any(Number),
      reason: "client_cancelled",
    });
  });
});

describe.each(TRANSPORT_NAMES)("a SubscribeEvents client over %s that aborts after server_time", (transport) => {
  it("with a deadline within the grace: the stream's ending is journaled deadline_exceeded at stage push", async () => {
    Object.assign(backend.hangs, { session: false, user: false });
    const abort = new AbortController();
    const req = subscribeEventsRequest(backend.device);
    const stream = createClient(EdgeGateway, TRANSPORTS[transport as keyof typeof TRANSPORTS](gateway.url)).subscribeEvents(req, {
      headers: deadlineHeader(transport, WITHIN_GRACE_MS),
      signal: abort.signal,
    });
    // The first event, or the end if the deadline ran out before the stream opened: then abort.
    await stream[Symbol.asyncIterator]()
      .next()
      .catch(() => undefined);
    abort.abort();
    const { ending } = await journalEnding(req.envelope!.requestId);
    expect(ending).toMatchObject({ rpc: "SubscribeEvents", code: "deadline_exceeded", reason: "deadline_exceeded" });
    expect(ending.stages.at(-1)).toMatchObject({ ok: false, reason: "deadline_exceeded" });
  });
});
