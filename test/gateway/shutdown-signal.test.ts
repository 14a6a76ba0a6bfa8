// Why the gateway's shutdown signal (src/gateway/shutdown-signal.ts) may hold many "abort" listeners
// without a leak: connect-node links every in-flight call's signal to it, one listener per call, and
// removes that listener when the call ends, so the count is bounded by the calls the listener admits
// at once; Node's leak warning is raised to that bound, not switched off. Through the gateway's own
// RPC handler (rpc-adapter.ts) on real h2c and HTTP/1.1 servers, with the Health service's
// long-lived Watch streams and unary Checks.
import { getEventListeners } from "node:events";
import http from "node:http";
import http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, afterEach, beforeAll, expect, it } from "vitest";
import { createRpcHandler } from "../../src/gateway/rpc-adapter.js";
import { healthRoutes, ServingState } from "../../src/gateway/services/health.js";
import { createShutdownController, type CallLimits } from "../../src/gateway/shutdown-signal.js";
import { Health, HealthCheckResponse_ServingStatus as Status } from "../../src/shared/gen/grpc/health/v1/health_pb.js";

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

/** Node's leak warnings, as they are emitted (on the next tick after the listener that crossed the bound). */
const leakWarnings: Error[] = [];
const onWarning = (warning: Error) => {
  if (warning.name === "MaxListenersExceededWarning") leakWarnings.push(warning);
};
beforeAll(() => void process.on("warning", onWarning));
afterAll(() => void process.off("warning", onWarning));

const CALLS = 25; // more than Node's default of 10 listeners per EventTarget

/** Room for 2 connections × 20 streams (HTTP/2) or 16 pipelined requests (HTTP/1.1): 40 calls. */
const ROOMY: CallLimits = { maxConnections: 2, maxConcurrentStreams: 20, maxPipelinedRequests: 16 };

async function serveHealth(limits: CallLimits = ROOMY) {
  const shutdown = createShutdownController(limits);
  const serving = new ServingState();
  const rpc = createRpcHandler({ routes: healthRoutes(serving, []), shutdownSignal: shutdown.signal });
  const h2 = http2.createServer(rpc);
  const h1 = http.createServer(rpc);
  for (const server of [h2, h1]) await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = (server: http.Server | http2.Http2Server) => `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const sessions = new Set<http2.ServerHttp2Session>();
  h2.on("session", (session) => sessions.add(session));
  closers.push(async () => {
    h1.closeAllConnections();
    for (const session of sessions) session.destroy();
    await Promise.all([h2, h1].map((server) => new Promise((resolve) => server.close(resolve))));
  });
  const listeners = () => getEventListeners(shutdown.signal, "abort").length;
  return { serving, listeners, h2Url: url(h2), h1Url: url(h1) };
}

it("holds one listener per Watch stream in flight, and none once they have ended", async () => {
  const { serving, listeners, h2Url, h1Url } = await serveHealth();
  const clients = [createClient(Health, createGrpcTransport({ baseUrl: h2Url })), createClient(Health, createConnectTransport({ baseUrl: h1Url, httpVersion: "1.1" }))];
  const streams = Array.from({ length: CALLS }, (_, i) => clients[i % 2]!.watch({ service: "" })[Symbol.asyncIterator]());
  for (const stream of streams) expect((await stream.next()).value?.status).toBe(Status.SERVING);
  expect(listeners()).toBe(CALLS); // every Watch handler is running: one listener each
  expect(leakWarnings).toEqual([]); // within the bound: not reported as a leak

  serving.shutDown(); // each stream says NOT_SERVING and ends
  for (const stream of streams) {
    expect((await stream.next()).value?.status).toBe(Status.NOT_SERVING);
    expect((await stream.next()).done).toBe(true);
  }
  expect(listeners()).toBe(0);
});

it("holds none after unary calls have been answered", async () => {
  const { listeners, h2Url } = await serveHealth();
  const client = createClient(Health, createGrpcTransport({ baseUrl: h2Url }));
  const answers = await Promise.all(Array.from({ length: CALLS }, () => client.check({ service: "" })));
  expect(answers.map((a) => a.status)).toEqual(Array.from({ length: CALLS }, () => Status.SERVING));
  expect(listeners()).toBe(0);
});

it("past the bound, a listener is reported as a leak again", async () => {
  leakWarnings.length = 0;
  const { serving, h2Url } = await serveHealth({ maxConnections: 1, maxConcurrentStreams: 4, maxPipelinedRequests: 4 });
  const warned = new Promise<Error>((resolve) => process.once("warning", resolve));
  const client = createClient(Health, createGrpcTransport({ baseUrl: h2Url }));
  const streams = Array.from({ length: 5 }, () => client.watch({ service: "" })[Symbol.asyncIterator]());
  for (const stream of streams) await stream.next();
  expect((await warned).name).toBe("MaxListenersExceededWarning");
  expect(leakWarnings.map((w) => w.message)).toEqual([expect.stringMatching(/5 abort listeners added .* MaxListeners is 4/)]);
  serving.shutDown();
  for (const stream of streams) while (!(await stream.next()).done);
});
