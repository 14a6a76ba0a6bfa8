// The control plane and the state directory, through a real emulator over HTTP/1.1 and h2:
// - with a token, every /emulator/v1 endpoint requires it (401 without or with a wrong one), from
//   loopback too; without one, non-loopback Host names are refused (403);
// - CORS: an origin outside cors_origins gets no Access-Control-Allow-* from any surface; a foreign
//   Origin (preflight included) is refused on the control plane, the console's own origin is served
//   (grants to listed origins: test/gateway-http/cors.test.ts);
// - no user-controlled name leads out of a directory: state files are plain names inside the state
//   directory, and random traversal paths never reach a file beside the web console.
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MOCK_STATE_SUBDIR, startEmulator, type RunningEmulator } from "../../src/emulator/start.js";
import { STATE_FILE } from "../../src/backend/persistence.js";
import { stateFilePath } from "../../src/node/atomic-file.js";
import { signIn, startTestEmulator, tempDir } from "../support/emulator.js";
import { h1Request, h2Request, portOf, type RawReply } from "./support.js";

const TOKEN = "s3cret-token-for-tests";
const ENDPOINTS: [method: string, path: string, body?: unknown][] = [
  ["GET", "/emulator/v1/mailbox"],
  ["POST", "/emulator/v1/push", { client_event: { user_id: "u_x", event_type: "t", payload: {} } }],
  ["GET", "/emulator/v1/journal"],
  ["GET", "/emulator/v1/config"],
  ["PATCH", "/emulator/v1/config", {}],
  ["POST", "/emulator/v1/gateway-key/rotate", {}],
  ["POST", "/emulator/v1/reset", {}],
];

function request(http: "h1" | "h2", port: number, method: string, p: string, headers: Record<string, string>, body?: unknown): Promise<RawReply> {
  const init = {
    method,
    path: p,
    headers: body === undefined ? headers : { "content-type": "application/json", ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  };
  return http === "h1" ? h1Request(port, init) : h2Request(port, init);
}

const errorCode = (r: RawReply) => (JSON.parse(r.body.toString("utf8")) as { error?: { code?: string } }).error?.code;

function expectNoCors(r: RawReply, what: string): void {
  const cors = Object.keys(r.headers).filter((h) => h.startsWith("access-control-"));
  expect(cors, what).toEqual([]);
}

describe("with an access token", () => {
  let emulator: RunningEmulator;
  let port: number;
  beforeAll(async () => {
    emulator = await startEmulator({ port: 0, stateDir: tempDir(), accessToken: TOKEN });
    port = portOf(emulator.url);
  });
  afterAll(() => emulator.close());

  it.each(["h1", "h2"] as const)("over %s every endpoint answers 401 without the token or with a wrong one, and serves with it", async (http) => {
    for (const [method, p, body] of ENDPOINTS) {
      for (const authorization of [undefined, "Bearer wrong-token", `Basic ${Buffer.from(`x:${TOKEN}`).toString("base64")}`, `Bearer ${TOKEN}x`, TOKEN]) {
        const r = await request(http, port, method, p, authorization ? { authorization } : {}, body);
        expect({ what: `${method} ${p} ${authorization}`, status: r.status, code: errorCode(r) }).toEqual({
          what: `${method} ${p} ${authorization}`,
          status: 401,
          code: "unauthorized",
        });
        expectNoCors(r, `${method} ${p}`);
      }
      if (p.endsWith("/reset")) continue; // would end the other tests' sessions; covered by gateway-http
      const ok = await request(http, port, method, p, { authorization: `Bearer ${TOKEN}` }, body);
      expect({ what: `${method} ${p}`, status: ok.status }).toEqual({ what: `${method} ${p}`, status: 200 });
    }
  });

  it("with the token, a non-loopback Host is allowed (remote tools), a foreign Origin still is not", async () => {
    const remote = await h1Request(port, { method: "GET", path: "/emulator/v1/config", headers: { host: "emulator.lan:8787", authorization: `Bearer ${TOKEN}` } });
    expect(remote.status).toBe(200);
    const foreign = await h1Request(port, {
      method: "GET",
      path: "/emulator/v1/config",
      headers: { authorization: `Bearer ${TOKEN}`, origin: "http://evil.example" },
    });
    expect({ status: foreign.status, code: errorCode(foreign) }).toEqual({ status: 403, code: "forbidden" });
  });
});

describe("without a token (loopback only) and CORS", () => {
  let emulator: RunningEmulator;
  let port: number;
  beforeAll(async () => {
    emulator = await startTestEmulator();
    port = portOf(emulator.url);
  });
  afterAll(() => emulator.close());

  it.each(["h1", "h2"] as const)("over %s: a non-loopback Host (DNS rebinding) is refused on every endpoint", async (http) => {
    for (const [method, p, body] of ENDPOINTS) {
      const r = await request(http, port, method, p, http === "h1" ? { host: "attacker.example" } : { ":authority": "attacker.example" }, body);
      expect({ what: `${method} ${p}`, status: r.status, code: errorCode(r) }).toEqual({ what: `${method} ${p}`, status: 403, code: "forbidden" });
    }
  });

  it.each(["h1", "h2"] as const)("over %s: foreign origins (and their preflights) are refused, the console's own origin is served", async (http) => {
    const own = `http://127.0.0.1:${port}`;
    for (const origin of ["http://evil.example", "null", `https://127.0.0.1:${port}`, `http://127.0.0.1:${port + 1}`, `http://localhost.evil.example:${port}`]) {
      for (const [method, p, body] of ENDPOINTS) {
        const r = await request(http, port, method, p, { origin }, body);
        expect({ what: `${origin} ${method} ${p}`, status: r.status }).toEqual({ what: `${origin} ${method} ${p}`, status: 403 });
        expectNoCors(r, `${origin} ${method} ${p}`);
      }
      const preflight = await request(http, port, "OPTIONS", "/emulator/v1/config", {
        origin,
        "access-control-request-method": "PATCH",
        "access-control-request-headers": "content-type",
      });
      expect(preflight.status).toBe(403);
      expectNoCors(preflight, `preflight from ${origin}`);
    }
    const same = await request(http, port, "GET", "/emulator/v1/config", { origin: own });
    expect(same.status).toBe(200);
    expectNoCors(same, "same origin");
  });

  it("no surface grants CORS to an origin outside cors_origins: REST, RPC, health, console", async () => {
    const targets: [string, string, Record<string, string>, string?][] = [
      ["GET", "/healthz", {}],
      ["GET", "/api/v1/public/gateway/info", {}],
      ["POST", "/api/v1/public/auth/send-email-code", { "content-type": "application/json" }, '{"email":"cors@example.com"}'],
      ["OPTIONS", "/api/v1/public/auth/send-email-code", { "access-control-request-method": "POST" }],
      ["POST", "/galaxy.gateway.v1.EdgeGateway/ExecuteCommand", { "content-type": "application/json", "connect-protocol-version": "1" }, "{}"],
      ["OPTIONS", "/galaxy.gateway.v1.EdgeGateway/ExecuteCommand", { "access-control-request-method": "POST" }],
      ["GET", "/", {}],
    ];
    for (const [method, p, headers, body] of targets) {
      for (const http of ["h1", "h2"] as const) {
        const init = { method, path: p, headers: { origin: "http://evil.example", ...headers }, body };
        const r = http === "h1" ? await h1Request(port, init) : await h2Request(port, init);
        expect(r.status, `${http} ${method} ${p}`).not.toBe(500);
        expectNoCors(r, `${http} ${method} ${p}`);
      }
    }
  });
});

describe("paths built from names", () => {
  it("stateFilePath accepts plain file names only", () => {
    const dir = tempDir();
    expect(stateFilePath(dir, "gateway-key.json")).toBe(path.join(path.resolve(dir), "gateway-key.json"));
    for (const name of ["", ".", "..", "../x", "a/b", "a\\b", "/etc/passwd", "x\0y", "ok\n", "a".repeat(256)]) {
      expect(() => stateFilePath(dir, name), JSON.stringify(name)).toThrow();
    }
  });

  it("stateFilePath never yields a path outside its directory, whatever the name", () => {
    const dir = path.resolve(tempDir());
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 40 }), fc.string({ unit: "grapheme", maxLength: 10 }), fc.constantFrom("..", "../..", "%2e%2e", "..\\x", "~")), (name) => {
        let file: string | undefined;
        try {
          file = stateFilePath(dir, name);
        } catch {
          return;
        }
        expect(path.dirname(file)).toBe(dir);
      }),
      { numRuns: 500 },
    );
  });

  it("the emulator's state directory holds only its own fixed files", async () => {
    const stateDir = tempDir();
    const emulator = await startTestEmulator({ stateDir });
    try {
      await signIn(emulator.url);
    } finally {
      await emulator.close();
    }
    expect(readdirSync(stateDir).sort()).toEqual(["gateway-key.json", MOCK_STATE_SUBDIR]);
    expect(readdirSync(path.join(stateDir, MOCK_STATE_SUBDIR))).toEqual([STATE_FILE]);
  });

  it("random traversal paths never reach a file beside the web console", async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), "gge-console-"));
    const consoleDir = path.join(root, "renderer");
    mkdirSync(path.join(consoleDir, "assets"), { recursive: true });
    writeFileSync(path.join(consoleDir, "index.html"), "<title>console</title>");
    writeFileSync(path.join(consoleDir, "assets", "app.js"), "console.log(1)");
    const SECRET = "TOP-SECRET-BESIDE-THE-CONSOLE";
    writeFileSync(path.join(root, "secret.txt"), SECRET);
    const emulator = await startTestEmulator({ consoleDir });
    const port = portOf(emulator.url);
    try {
      const piece = fc.constantFrom("..", "%2e%2e", "%2E%2e", ".%2e", "%252e%252e", "..%2f", "..%5c", "%c0%ae%c0%ae", "secret.txt", "assets", "", ".", "%00", "renderer");
      await fc.assert(
        fc.asyncProperty(fc.array(piece, { minLength: 1, maxLength: 6 }), fc.constantFrom("/", "//", "/assets/"), fc.constantFrom("h1" as const, "h2" as const), async (pieces, prefix, http) => {
          const p = prefix + pieces.join("/");
          const init = { method: "GET", path: p };
          const r = http === "h1" ? await h1Request(port, init) : await h2Request(port, init);
          expect(r.body.toString("latin1"), p).not.toContain(SECRET);
          expect([200, 400, 404], `${p}: ${r.status}`).toContain(r.status);
        }),
        { numRuns: 150 },
      );
    } finally {
      await emulator.close();
    }
  });
});
