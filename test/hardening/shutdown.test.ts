// Clean shutdown with calls in flight (RunningGateway.close(drainMs)): a call whose backend answers
// during the drain finishes normally; one whose backend never answers is aborted when the drain time
// is over and answers UNAVAILABLE gateway_shutting_down instead of losing its connection; close()
// resolves either way. On every transport.
import { EventEmitter, once } from "node:events";
import type http from "node:http";
import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningGateway } from "../../src/gateway/gateway.js";
import { toBase64Url } from "../../src/shared/bytes.js";
import { generateSeed, publicKeyFromSeed } from "../../src/shared/ed25519.js";
import { executeCommandRequest, verifyResponse } from "../../src/shared/sdk.js";
import { edgeClient, TRANSPORT_NAMES } from "../support/emulator.js";
import { connectErrorOf, gatewayFor, reasonOf, REQUEST_DEADLINE_MS, startHttpServer, type FakeBackend } from "./support.js";

const seed = generateSeed();
const device = { deviceSessionId: "ds_drain", seed };
const session = { device_session_id: "ds_drain", user_id: "u_drain", client_public_key: toBase64Url(publicKeyFromSeed(seed)), status: "active", created_at_ms: 1 };

/** Routed calls are parked here until the test answers them. */
const parked: http.ServerResponse[] = [];
const arrivals = new EventEmitter();
let backend: FakeBackend;

function answerParked(): void {
  for (const res of parked.splice(0)) {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ user_id: session.user_id }));
  }
}

beforeAll(async () => {
  backend = await startHttpServer((req, res) => {
    req.resume();
    if (req.url === `/api/v1/internal/sessions/${session.device_session_id}`) {
      res.writeHead(200, { "content-type": "application/json" });
      return void res.end(JSON.stringify(session));
    }
    if (req.url?.startsWith("/api/v1/user/")) {
      parked.push(res);
      arrivals.emit("parked");
      return;
    }
    res.writeHead(404);
    res.end();
  });
});
afterAll(async () => {
  answerParked();
  await backend.close();
});

async function inFlightCall(gateway: RunningGateway, transport: (typeof TRANSPORT_NAMES)[number]) {
  const arrived = once(arrivals, "parked");
  const result = edgeClient(gateway.url, transport)
    .executeCommand(executeCommandRequest(device, { messageType: "user.profile.get", payload: {} }), {
      signal: AbortSignal.timeout(REQUEST_DEADLINE_MS),
    })
    .then(
      (res) => ({ res }),
      (err: unknown) => ({ err: connectErrorOf(err) }),
    );
  await arrived; // the call is at the backend: in flight
  return { call: result }; // wrapped: returning the promise itself would make the caller wait for it
}

describe.each(TRANSPORT_NAMES)("shutdown over %s", (transport) => {
  it("a call that the backend answers during the drain finishes normally, signed", async () => {
    const gateway = await gatewayFor(backend.url);
    const key = gateway.publicKey();
    const { call } = await inFlightCall(gateway, transport);
    const closing = gateway.close(REQUEST_DEADLINE_MS);
    answerParked();
    const outcome = await call;
    expect("res" in outcome && verifyResponse(outcome.res, key)).toEqual({ ok: true });
    await closing;
  });

  it("a call still running when the drain time is over answers UNAVAILABLE gateway_shutting_down", async () => {
    const gateway = await gatewayFor(backend.url);
    const { call } = await inFlightCall(gateway, transport);
    const closing = gateway.close(100);
    const outcome = await call;
    expect("err" in outcome && { code: outcome.err.code, reason: reasonOf(outcome.err) }).toEqual({
      code: Code.Unavailable,
      reason: "gateway_shutting_down",
    });
    await closing;
    answerParked();
  });
});
