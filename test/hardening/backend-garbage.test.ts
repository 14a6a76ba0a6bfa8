// A real backend URL that answers garbage: HTML, the wrong JSON, redirects, 5xx, a socket that hangs,
// resets, truncates, trickles or floods. Every call gets a clear error (UNAVAILABLE backend_unavailable
// with a message at the stage that called the backend; REST 502/503 backend_unavailable), bounded by
// the backend timeout, without a pile-up; and calls recover by themselves once the backend is sane.
import http from "node:http";
import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningGateway } from "../../src/gateway/gateway.js";
import { toBase64Url } from "../../src/shared/bytes.js";
import { generateSeed, publicKeyFromSeed } from "../../src/shared/ed25519.js";
import { executeCommandRequest } from "../../src/shared/sdk.js";
import { edgeClient, postJson, TRANSPORT_NAMES } from "../support/emulator.js";
import { connectErrorOf, gatewayFor, reasonOf, REQUEST_DEADLINE_MS, stageOf, startHttpServer, type FakeBackend } from "./support.js";

type Mode = "ok" | "html" | "wrong-json" | "redirect" | "5xx" | "hang" | "reset" | "truncated" | "trickle" | "huge";
const GARBAGE: Mode[] = ["html", "wrong-json", "redirect", "5xx", "hang", "reset", "truncated", "trickle", "huge"];

const seed = generateSeed();
const device = { deviceSessionId: "ds_fault", seed };
const session = {
  device_session_id: "ds_fault",
  user_id: "u_fault",
  client_public_key: toBase64Url(publicKeyFromSeed(seed)),
  status: "active",
  created_at_ms: 1,
};

/** What each part of the fake backend does right now. */
const modes = { session: "ok" as Mode, user: "ok" as Mode, auth: "ok" as Mode };
const timers = new Set<NodeJS.Timeout>();

function answer(res: http.ServerResponse, mode: Mode, good: { status: number; body: unknown }): void {
  const json = (status: number, body: unknown) => {
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify(body));
  };
  switch (mode) {
    case "ok":
      return json(good.status, good.body);
    case "html":
      res.writeHead(200, { "content-type": "text/html" });
      return void res.end("<html><body>Service temporarily unavailable</body></html>");
    case "wrong-json":
      // The right status with the wrong document: a 2xx of another shape, or a 4xx that is no error.
      return json(good.status >= 400 ? good.status : 200, good.status >= 400 ? { oops: true } : { unexpected: [1, 2, 3] });
    case "redirect":
      res.writeHead(302, { location: "http://127.0.0.1:1/elsewhere" });
      return void res.end();
    case "5xx":
      return json(503, { error: { code: "overloaded", message: "try later" } });
    case "hang":
      return; // never answers
    case "reset":
      return void res.socket?.destroy();
    case "truncated":
      res.writeHead(200, { "content-type": "application/json", "content-length": "1000" });
      res.write('{"device_session_id":');
      return void setImmediate(() => res.socket?.destroy());
    case "trickle": {
      res.writeHead(200, { "content-type": "application/json" });
      // The backend's pace, not the test's synchronisation: a byte every 20 ms, never finishing.
      const timer = setInterval(() => res.write(" "), 20);
      timers.add(timer);
      res.once("close", () => {
        clearInterval(timer);
        timers.delete(timer);
      });
      return;
    }
    case "huge":
      res.writeHead(200, { "content-type": "application/json" });
      return void res.end(JSON.stringify({ ...session, padding: "x".repeat(2 * 1024 * 1024) }));
  }
}

let backend: FakeBackend;
let gateway: RunningGateway;

beforeAll(async () => {
  backend = await startHttpServer((req, res) => {
    req.resume();
    const url = req.url ?? "";
    if (url.startsWith("/api/v1/internal/sessions/")) {
      const known = url === `/api/v1/internal/sessions/${session.device_session_id}`;
      return answer(res, modes.session, known ? { status: 200, body: session } : { status: 404, body: { error: { code: "not_found", message: "no" } } });
    }
    if (url.startsWith("/api/v1/user/")) return answer(res, modes.user, { status: 200, body: { user_id: session.user_id } });
    if (url.startsWith("/api/v1/public/auth/send-email-code")) return answer(res, modes.auth, { status: 200, body: { challenge_id: "ch_1" } });
    if (url.startsWith("/api/v1/public/auth/confirm-email-code")) {
      return answer(res, modes.auth, { status: 401, body: { error: { code: "invalid_code", message: "wrong code" } } });
    }
    res.writeHead(404);
    res.end();
  });
  const big = { rate_per_s: 1e6, burst: 1e6 };
  gateway = await gatewayFor(backend.url, {
    limits: { backendTimeoutMs: 300 },
    config: {
      rate_limits: { per_ip: big, per_session: big, per_user: big, per_message_type: big },
      public_rate_limits: { per_ip: big, per_email: big, per_challenge: big },
    },
  });
});
afterAll(async () => {
  await gateway.close(0);
  for (const t of timers) clearInterval(t);
  await backend.close();
});

async function execute(transport: (typeof TRANSPORT_NAMES)[number] = "connect h2") {
  return edgeClient(gateway.url, transport)
    .executeCommand(executeCommandRequest(device, { messageType: "user.profile.get", payload: {} }), {
      signal: AbortSignal.timeout(REQUEST_DEADLINE_MS),
    })
    .then(
      (res) => ({ ok: res.envelope?.resultCode }),
      (err: unknown) => {
        const e = connectErrorOf(err);
        return { code: e.code, reason: reasonOf(e), stage: stageOf(e), message: e.rawMessage };
      },
    );
}

describe("a backend answering garbage", () => {
  it("sanity: with a sane backend the call is served", async () => {
    Object.assign(modes, { session: "ok", user: "ok", auth: "ok" });
    expect(await execute()).toEqual({ ok: "ok" });
  });

  it.each(GARBAGE)("session lookup answers %s: UNAVAILABLE backend_unavailable at stage session, with a message", async (mode) => {
    Object.assign(modes, { session: mode, user: "ok" });
    for (const transport of ["connect h2", "grpc h2", "grpc-web h1"] as const) {
      const outcome = await execute(transport);
      expect(outcome, transport).toMatchObject({ code: Code.Unavailable, reason: "backend_unavailable", stage: "session" });
      expect((outcome as { message: string }).message).toMatch(/^backend_unavailable: .{8,}/);
    }
  });

  it.each(GARBAGE.filter((m) => m !== "wrong-json"))("routed call answers %s: UNAVAILABLE backend_unavailable at stage backend", async (mode) => {
    Object.assign(modes, { session: "ok", user: mode });
    const outcome = await execute();
    expect(outcome).toMatchObject({ code: Code.Unavailable, reason: "backend_unavailable", stage: "backend" });
    expect((outcome as { message: string }).message).toMatch(/^backend_unavailable: .{8,}/);
  });

  it("routed call answers a 2xx of an unexpected shape: relayed, signed (payloads are opaque to the gateway)", async () => {
    Object.assign(modes, { session: "ok", user: "wrong-json" });
    expect(await execute()).toEqual({ ok: "ok" });
  });

  it.each(GARBAGE)("public auth answers %s: REST 502/503 backend_unavailable with a message", async (mode) => {
    modes.auth = mode;
    for (const [path, body] of [
      ["/api/v1/public/auth/send-email-code", { email: "pilot@example.com" }],
      ["/api/v1/public/auth/confirm-email-code", { challenge_id: "ch_1", code: "123456", client_public_key: session.client_public_key }],
    ] as const) {
      const r = await postJson(`${gateway.url}${path}`, body);
      expect([502, 503], `${path}: ${r.status} ${JSON.stringify(r.json)}`).toContain(r.status);
      expect(r.json.error.code).toBe("backend_unavailable");
      expect(r.json.error.message.length).toBeGreaterThan(8);
    }
  });

  it("a hanging backend: 60 concurrent calls all fail with UNAVAILABLE (no pile-up), then calls recover by themselves", async () => {
    Object.assign(modes, { session: "hang", user: "ok" });
    const outcomes = await Promise.all(Array.from({ length: 60 }, (_, i) => execute(TRANSPORT_NAMES[i % TRANSPORT_NAMES.length])));
    for (const o of outcomes) expect(o).toMatchObject({ code: Code.Unavailable, reason: "backend_unavailable" });
    Object.assign(modes, { session: "ok", user: "ok" });
    expect(await execute()).toEqual({ ok: "ok" });
  });

  it("the gateway stays healthy throughout", async () => {
    const health = await fetch(`${gateway.url}/healthz`);
    expect(health.status).toBe(200);
  });
});
