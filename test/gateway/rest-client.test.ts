// The backend REST client on real loopback servers: what a call sends (the backend token, the caller's
// headers, a JSON body, URL credentials), the answer as the callers read it (headers as node:http
// presents them), a call ended while it still waits for one of the pool's connections, the caller
// going away mid-call, a switch of backend closing the old backend's connections, and an injected latency
// (faults/) bounded by the call's deadline.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, expect, it } from "vitest";
import {
  BackendUnavailableError,
  CallerDeadlineError,
  createBackendRestClient,
  MAX_BACKEND_CONNECTIONS,
} from "../../src/gateway/backend/rest-client.js";
import { BACKEND_TOKEN_HEADER } from "../../src/node/backend-token.js";

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A loopback server that never times out idle keep-alive connections (so only the client closes them). */
async function server(handler: http.RequestListener): Promise<{ url: string; server: http.Server }> {
  const s = http.createServer(handler);
  s.keepAliveTimeout = 0;
  await new Promise<void>((resolve) => s.listen(0, "127.0.0.1", resolve));
  cleanups.push(() => new Promise((resolve) => s.close(resolve)), () => s.closeAllConnections());
  return { url: `http://127.0.0.1:${(s.address() as AddressInfo).port}`, server: s };
}

function client(...args: Parameters<typeof createBackendRestClient>) {
  const c = createBackendRestClient(...args);
  cleanups.push(() => c.close());
  return c;
}

it("sends the backend token, the caller's headers and a JSON body with its length", async () => {
  const seen: { method?: string; url?: string; headers: http.IncomingHttpHeaders; body: string }[] = [];
  const backend = await server((req, res) => {
    const parts: Buffer[] = [];
    req.on("data", (c: Buffer) => parts.push(c));
    req.on("end", () => {
      seen.push({ method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(parts).toString() });
      res.writeHead(201, { "content-type": "application/json" }).end('{"ok":true}');
    });
  });
  const c = client(() => backend.url, { token: () => "tok-123" });
  const reply = await c.request("POST", "/api/v1/user/thing", { query: "a=1&b=two", body: Buffer.from('{"x":1}'), headers: { "x-galaxy-user-id": "u_1" } });
  expect({ status: reply.status, body: reply.body.toString() }).toEqual({ status: 201, body: '{"ok":true}' });
  expect(seen).toHaveLength(1);
  expect(seen[0]).toMatchObject({ method: "POST", url: "/api/v1/user/thing?a=1&b=two", body: '{"x":1}' });
  expect(seen[0]!.headers).toMatchObject({
    [BACKEND_TOKEN_HEADER]: "tok-123",
    "x-galaxy-user-id": "u_1",
    "content-type": "application/json",
    "content-length": "7",
  });
});

it("credentials in the backend URL are sent as Basic auth, percent-decoded", async () => {
  let authorization: string | undefined;
  const backend = await server((req, res) => {
    authorization = req.headers.authorization;
    res.end();
  });
  const withCredentials = backend.url.replace("http://", "http://us%40er:p%20w@");
  await client(() => withCredentials).request("GET", "/x");
  expect(authorization).toBe(`Basic ${Buffer.from("us@er:p w").toString("base64")}`);
});

it("answer headers as node:http presents them: lower-case, repeats joined, set-cookie a list, content-type the first", async () => {
  const backend = await server((_req, res) => {
    res.setHeader("Content-Type", ["application/json", "text/html"]);
    res.setHeader("X-Multi", ["1", "2"]);
    res.setHeader("Set-Cookie", ["a=1", "b=2"]);
    res.setHeader("Retry-After", "7");
    res.end("{}");
  });
  const { headers } = await client(() => backend.url).request("GET", "/h");
  expect(headers).toMatchObject({ "content-type": "application/json", "x-multi": "1, 2", "set-cookie": ["a=1", "b=2"], "retry-after": "7" });
});

it("calls beyond the pool's connections wait within their deadline, and end with it; never more connections than the pool's", async () => {
  const held: http.ServerResponse[] = [];
  let poolFull!: () => void;
  const allHeld = new Promise<void>((resolve) => (poolFull = resolve));
  const backend = await server((req, res) => {
    req.resume();
    held.push(res); // answered only at the end
    if (held.length === MAX_BACKEND_CONNECTIONS) poolFull();
  });
  let open = 0;
  let mostOpen = 0;
  backend.server.on("connection", (socket) => {
    mostOpen = Math.max(mostOpen, ++open);
    socket.on("close", () => open--);
  });
  const c = client(() => backend.url, { timeoutMs: 60_000 });
  // Every connection of the pool busy with a call that waits for its answer…
  const first = Array.from({ length: MAX_BACKEND_CONNECTIONS }, (_, i) => c.request("GET", `/held/${i}`));
  await allHeld;
  // …so these wait for a connection, and their deadline ends them there, never sent.
  const extra = await Promise.all(Array.from({ length: 8 }, (_, i) => c.request("GET", `/waiting/${i}`, { deadlineMs: 300 }).catch((e: unknown) => e)));
  expect(extra.every((e) => e instanceof CallerDeadlineError)).toBe(true);
  expect(held).toHaveLength(MAX_BACKEND_CONNECTIONS);
  expect(mostOpen).toBe(MAX_BACKEND_CONNECTIONS);
  for (const res of held) res.end("{}");
  expect((await Promise.all(first)).map((r) => r.status)).toEqual(first.map(() => 200));
});

it("the caller's signal ends the call at once, and the request with it", async () => {
  let arrived!: () => void;
  const requestArrived = new Promise<void>((resolve) => (arrived = resolve));
  let closedByClient!: () => void;
  const requestClosed = new Promise<void>((resolve) => (closedByClient = resolve));
  const backend = await server((req, res) => {
    req.resume();
    res.on("close", closedByClient);
    arrived();
  });
  const controller = new AbortController();
  const pending = client(() => backend.url).request("GET", "/cancel-me", { signal: controller.signal }).catch((e: unknown) => e);
  await requestArrived;
  controller.abort();
  expect(await pending).toBeInstanceOf(BackendUnavailableError);
  await requestClosed;
});

it("switching backends: calls go to the new one and the old one's idle connections are closed", async () => {
  const first = await server((_req, res) => res.end('"first"'));
  const second = await server((_req, res) => res.end('"second"'));
  let firstClosed!: () => void;
  const firstConnectionClosed = new Promise<void>((resolve) => (firstClosed = resolve));
  first.server.on("connection", (socket) => socket.on("close", firstClosed));
  let target = first.url;
  const c = client(() => target);
  expect((await c.request("GET", "/who")).body.toString()).toBe('"first"');
  target = second.url;
  expect((await c.request("GET", "/who")).body.toString()).toBe('"second"');
  await firstConnectionClosed;
});

it("an injected latency runs inside the call's deadline: longer than it, the call fails as a slow backend's would, never sent", async () => {
  let requests = 0;
  const backend = await server((req, res) => {
    requests++;
    req.resume();
    res.end("{}");
  });
  const told: string[] = [];
  const c = client(() => backend.url, { timeoutMs: 200, faults: () => ({ id: "slow", delayMs: 60_000 }) });
  const err = await c.request("GET", "/x", { forCall: { injected: (id) => told.push(id) } }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(BackendUnavailableError);
  expect((err as Error).message).toContain("did not answer within 200 ms");
  expect(told).toEqual(["slow"]);
  expect(requests).toBe(0);
  // The caller's own, shorter deadline is the caller's limit, not the backend's fault.
  expect(await c.request("GET", "/x", { deadlineMs: 100 }).catch((e: unknown) => e)).toBeInstanceOf(CallerDeadlineError);
});
