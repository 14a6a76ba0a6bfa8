// CORS on the public surface, through a real emulator over HTTP/1.1 and h2: preflights to the Connect /
// gRPC-Web paths and the public REST answer 204 with the grant, answers carry Access-Control-Allow-Origin
// and the exposed headers for listed origins only, `cors_origins` is live config, and the control plane
// never gets a grant whatever the list says.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { RunningEmulator } from "../../src/emulator/start.js";
import { patchConfig, startTestEmulator } from "../support/emulator.js";
import { h1Request, h2Request, portOf, type RawReply, type RawInit } from "../hardening/support.js";

const EXECUTE = "/galaxy.gateway.v1.EdgeGateway/ExecuteCommand";
const SUBSCRIBE = "/galaxy.gateway.v1.EdgeGateway/SubscribeEvents";
const SEND_CODE = "/api/v1/public/auth/send-email-code";
const INFO = "/api/v1/public/gateway/info";
const DEV = "http://localhost:5173";
const DEFAULT_ORIGINS = ["http://localhost:*", "http://127.0.0.1:*", "http://[::1]:*"];

type Http = "h1" | "h2";
const HTTPS: Http[] = ["h1", "h2"];

function request(http: Http, port: number, init: RawInit<Record<string, string>>): Promise<RawReply> {
  return http === "h1" ? h1Request(port, init) : h2Request(port, init);
}

function preflight(http: Http, port: number, path: string, origin: string, requestHeaders: string, extra: Record<string, string> = {}) {
  return request(http, port, {
    method: "OPTIONS",
    path,
    headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": requestHeaders, ...extra },
  });
}

const header = (r: RawReply, name: string) => {
  const v = r.headers[name];
  return Array.isArray(v) ? v.join(", ") : v;
};
const list = (r: RawReply, name: string) => (header(r, name) ?? "").split(",").map((s) => s.trim().toLowerCase()).filter(Boolean);
const corsHeaders = (r: RawReply) => Object.keys(r.headers).filter((h) => h.startsWith("access-control-"));
const errorCode = (r: RawReply) => (JSON.parse(r.body.toString("utf8")) as { error?: { code?: string } }).error?.code;

function expectGrant(r: RawReply, origin: string, what: string): void {
  expect(header(r, "access-control-allow-origin"), what).toBe(origin);
  expect(list(r, "vary"), what).toContain("origin");
  // No cookies on this surface: credentials are never allowed (docs/SECURITY.md).
  expect(header(r, "access-control-allow-credentials"), what).toBeUndefined();
}

function expectNoGrant(r: RawReply, what: string): void {
  expect(corsHeaders(r), what).toEqual([]);
}

const CONNECT_REQUEST_HEADERS = "content-type,connect-protocol-version,connect-timeout-ms";
const GRPC_WEB_REQUEST_HEADERS = "content-type,x-grpc-web,x-user-agent,grpc-timeout";
const EXPOSED = ["grpc-status", "grpc-message", "grpc-status-details-bin", "retry-after"];

describe("default origins (loopback dev servers, zero setup)", () => {
  let emulator: RunningEmulator;
  let port: number;
  beforeAll(async () => {
    emulator = await startTestEmulator();
    port = portOf(emulator.url);
  });
  afterAll(() => emulator.close());

  it("the config lists the loopback patterns", async () => {
    const config = await (await fetch(`${emulator.url}/emulator/v1/config`)).json();
    expect(config.cors_origins).toEqual(DEFAULT_ORIGINS);
  });

  it.each(HTTPS)("over %s a Connect preflight answers 204 with the methods and headers Connect needs", async (http) => {
    for (const path of [EXECUTE, SUBSCRIBE]) {
      const r = await preflight(http, port, path, DEV, CONNECT_REQUEST_HEADERS);
      expect(r.status, path).toBe(204);
      expectGrant(r, DEV, path);
      expect(list(r, "access-control-allow-methods")).toEqual(expect.arrayContaining(["post", "get"]));
      expect(list(r, "access-control-allow-headers")).toEqual(expect.arrayContaining(CONNECT_REQUEST_HEADERS.split(",")));
      expect(Number(header(r, "access-control-max-age"))).toBeGreaterThan(0);
      expect(r.body.length).toBe(0);
    }
  });

  it.each(HTTPS)("over %s a gRPC-Web preflight answers 204 with the gRPC-Web request headers", async (http) => {
    const r = await preflight(http, port, EXECUTE, "http://127.0.0.1:3000", GRPC_WEB_REQUEST_HEADERS);
    expect(r.status).toBe(204);
    expectGrant(r, "http://127.0.0.1:3000", "grpc-web");
    expect(list(r, "access-control-allow-headers")).toEqual(expect.arrayContaining(GRPC_WEB_REQUEST_HEADERS.split(",")));
  });

  it.each(HTTPS)("over %s the public REST preflight answers 204 (was 405 method_not_allowed)", async (http) => {
    for (const path of [SEND_CODE, "/api/v1/public/auth/confirm-email-code"]) {
      const r = await preflight(http, port, path, "http://[::1]:8080", "content-type");
      expect(r.status, path).toBe(204);
      expectGrant(r, "http://[::1]:8080", path);
      expect(list(r, "access-control-allow-methods")).toContain("post");
      expect(list(r, "access-control-allow-headers")).toContain("content-type");
    }
  });

  it.each(HTTPS)("over %s gateway info, /healthz and the REST answers carry the grant and the exposed headers", async (http) => {
    for (const path of [INFO, "/healthz"]) {
      const r = await request(http, port, { method: "GET", path, headers: { origin: DEV } });
      expect(r.status, path).toBe(200);
      expectGrant(r, DEV, path);
      expect(list(r, "access-control-expose-headers"), path).toEqual(expect.arrayContaining(EXPOSED));
    }
    const sent = await request(http, port, {
      method: "POST",
      path: SEND_CODE,
      headers: { origin: DEV, "content-type": "application/json" },
      body: JSON.stringify({ email: `cors-${http}@example.com` }),
    });
    expect(sent.status).toBe(200);
    expectGrant(sent, DEV, "send-email-code");
  });

  it.each(HTTPS)("over %s Connect and gRPC-Web answers carry the grant and expose grpc-status / grpc-message", async (http) => {
    const connect = await request(http, port, {
      method: "POST",
      path: EXECUTE,
      headers: { origin: DEV, "content-type": "application/json", "connect-protocol-version": "1" },
      body: "{}",
    });
    expect(connect.status).toBe(400); // no envelope: a documented rejection, answered with the grant
    expectGrant(connect, DEV, "connect");
    const grpcWeb = await request(http, port, {
      method: "POST",
      path: EXECUTE,
      headers: { origin: DEV, "content-type": "application/grpc-web+proto", "x-grpc-web": "1" },
      body: Buffer.from([0, 0, 0, 0, 0]),
    });
    expect(grpcWeb.status).toBe(200);
    expectGrant(grpcWeb, DEV, "grpc-web");
    expect(list(grpcWeb, "access-control-expose-headers")).toEqual(expect.arrayContaining(EXPOSED));
  });

  it.each(HTTPS)("over %s an origin outside the list gets no grant: preflight 403, answers without Allow-Origin", async (http) => {
    for (const origin of ["http://evil.example", "null", "https://localhost:5173", "http://localhost.evil.example:5173", "http://a, http://localhost:1"]) {
      const r = await preflight(http, port, EXECUTE, origin, CONNECT_REQUEST_HEADERS);
      expect({ origin, status: r.status, code: errorCode(r) }).toEqual({ origin, status: 403, code: "forbidden" });
      expectNoGrant(r, origin);
      const info = await request(http, port, { method: "GET", path: INFO, headers: { origin } });
      expect(info.status).toBe(200);
      expectNoGrant(info, origin);
      expect(list(info, "vary")).toContain("origin");
    }
  });

  it.each(HTTPS)("over %s the control plane never gets a grant, not even for a listed origin", async (http) => {
    for (const origin of [DEV, "http://127.0.0.1:1"]) {
      for (const [method, path] of [["GET", "/emulator/v1/config"], ["POST", "/emulator/v1/reset"], ["GET", "/emulator/v1/mailbox"]] as const) {
        const r = await request(http, port, { method, path, headers: { origin, "content-type": "application/json" }, ...(method === "POST" ? { body: "{}" } : {}) });
        expect({ what: `${origin} ${method} ${path}`, status: r.status }).toEqual({ what: `${origin} ${method} ${path}`, status: 403 });
        expectNoGrant(r, `${origin} ${method} ${path}`);
      }
      const pre = await request(http, port, {
        method: "OPTIONS",
        path: "/emulator/v1/reset",
        headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": "content-type" },
      });
      expect(pre.status).toBe(403);
      expectNoGrant(pre, `preflight ${origin}`);
    }
    // The console's own origin is served (same-origin), still without a grant.
    const own = await request(http, port, { method: "GET", path: "/emulator/v1/config", headers: { origin: `http://127.0.0.1:${port}` } });
    expect(own.status).toBe(200);
    expectNoGrant(own, "own origin");
  });

  it("a non-preflight OPTIONS and the console's static files are left as they were", async () => {
    const plain = await h1Request(port, { method: "OPTIONS", path: SEND_CODE, headers: { origin: DEV } });
    expect({ status: plain.status, code: errorCode(plain) }).toEqual({ status: 405, code: "method_not_allowed" });
    const console = await h1Request(port, { method: "GET", path: "/", headers: { origin: DEV } });
    expectNoGrant(console, "console");
  });

  it("a preflight asking for private-network access is granted it for a listed origin", async () => {
    const r = await preflight("h1", port, EXECUTE, DEV, CONNECT_REQUEST_HEADERS, { "access-control-request-private-network": "true" });
    expect(r.status).toBe(204);
    expect(header(r, "access-control-allow-private-network")).toBe("true");
    const other = await preflight("h1", port, EXECUTE, DEV, CONNECT_REQUEST_HEADERS);
    expect(header(other, "access-control-allow-private-network")).toBeUndefined();
  });
});

describe("cors_origins is live config", () => {
  let emulator: RunningEmulator | undefined;
  afterEach(async () => {
    await emulator?.close();
    emulator = undefined;
  });

  it("a PATCH replaces the default list at once; exact origins match exactly, port wildcards any port; [] grants none", async () => {
    emulator = await startTestEmulator();
    const port = portOf(emulator.url);
    const granted = async (origin: string) => (await preflight("h1", port, EXECUTE, origin, CONNECT_REQUEST_HEADERS)).status === 204;

    const next = await patchConfig(emulator.url, { cors_origins: ["HTTPS://Game.Example:443/", "http://dev.example:*", DEV] });
    expect(next.cors_origins).toEqual(["https://game.example", "http://dev.example:*", DEV]);
    expect(await granted("https://game.example")).toBe(true);
    expect(await granted("https://game.example:8443")).toBe(false);
    expect(await granted("http://dev.example:1234")).toBe(true);
    expect(await granted("http://dev.example")).toBe(true);
    expect(await granted(DEV)).toBe(true);
    expect(await granted("http://localhost:5174")).toBe(false); // the loopback default is replaced
    expect(await granted("http://127.0.0.1:5173")).toBe(false);

    await patchConfig(emulator.url, { cors_origins: [] });
    for (const origin of [DEV, "https://game.example", "http://127.0.0.1:5173"]) expect(await granted(origin)).toBe(false);
  });

  it("a bad entry is refused with a message naming it, and the list is unchanged", async () => {
    emulator = await startTestEmulator();
    for (const [entry, mention] of [
      ["*", "port wildcard"],
      ["localhost:5173", "scheme://host"],
      ["http://localhost:5173/app", "no path"],
      ["http://user@localhost", "scheme://host"],
      ["null", "cannot be granted"],
      ["http://localhost:99999", "port"],
    ] as const) {
      const res = await fetch(`${emulator.url}/emulator/v1/config`, {
        method: "PATCH",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ cors_origins: ["http://ok.example", entry] }),
      });
      const body = await res.json();
      expect({ entry, status: res.status, code: body.error?.code }).toEqual({ entry, status: 400, code: "invalid_request" });
      expect(body.error.message).toContain("cors_origins[1]");
      expect(body.error.message).toContain(mention);
    }
    const config = await (await fetch(`${emulator.url}/emulator/v1/config`)).json();
    expect(config.cors_origins).toEqual(DEFAULT_ORIGINS);
  });

  it("the initial list (startEmulator corsOrigins) is normalised and applied", async () => {
    emulator = await startTestEmulator({ corsOrigins: ["https://Game.Example"] });
    const port = portOf(emulator.url);
    expect((await preflight("h1", port, EXECUTE, "https://game.example", CONNECT_REQUEST_HEADERS)).status).toBe(204);
    expect((await preflight("h1", port, EXECUTE, DEV, CONNECT_REQUEST_HEADERS)).status).toBe(403);
  });
});
