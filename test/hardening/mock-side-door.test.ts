// The mock backend is no side door (issue 10): the emulator's mock listens on its own loopback port,
// and only the gateway may use it. Without the per-process backend token every route of the mock is
// refused (401), and a request a web page could make (an Origin header, a non-loopback Host: DNS
// rebinding) is refused (403) before the token is even looked at. The state behind the mock (users,
// sessions, mailbox, push log) is checked through the gateway, which is the one legitimate path.
import { existsSync } from "node:fs";
import http from "node:http";
import path from "node:path";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator, type RunningEmulator } from "../../src/emulator/start.js";
import { Push } from "../../src/shared/gen/galaxy/backend/v1/backend_push_pb.js";
import { executeCommandRequest } from "../../src/shared/sdk.js";
import { edgeClient, getJson, patchConfig, postJson, signIn, startTestEmulator, tempDir, type SignedInDevice } from "../support/emulator.js";
import { spawnTs, startBackendChild, type Child } from "./children.js";
import { startHttpServer } from "./support.js";

interface RawAnswer {
  status: number;
  text: string;
}

/** node:http, so that Host (which fetch will not let a caller set) can be anything. */
function raw(base: string, method: string, path: string, headers: Record<string, string> = {}, body?: unknown): Promise<RawAnswer> {
  const bytes = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const req = http.request(
      base + path,
      { method, agent: false, headers: { ...(bytes ? { "content-type": "application/json", "content-length": bytes.length } : {}), ...headers } },
      (res) => {
        const parts: Buffer[] = [];
        res.on("data", (c: Buffer) => parts.push(c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(parts).toString("utf8") }));
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(bytes);
  });
}

function expectRefused(answer: RawAnswer, status: 401 | 403, what: string): void {
  const code = status === 401 ? "unauthorized" : "forbidden";
  expect({ what, status: answer.status, code: JSON.parse(answer.text)?.error?.code }).toEqual({ what, status, code });
}

/** Alice's profile through the gateway (a signed ExecuteCommand): proves her user and session exist. */
async function profileThroughGateway(emulator: RunningEmulator, device: SignedInDevice): Promise<string> {
  const res = await edgeClient(emulator.url).executeCommand(executeCommandRequest(device, { messageType: "user.profile.get" }));
  return res.envelope!.resultCode;
}

async function mailboxThroughGateway(emulator: RunningEmulator, email: string, headers: Record<string, string> = {}): Promise<unknown[]> {
  const res = await fetch(`${emulator.url}/emulator/v1/mailbox?email=${encodeURIComponent(email)}`, { headers });
  expect(res.status).toBe(200);
  return ((await res.json()) as { messages: unknown[] }).messages;
}

describe("the emulator's mock backend answers its gateway only", () => {
  let emulator: RunningEmulator;
  let mock: string;
  let alice: SignedInDevice;

  beforeAll(async () => {
    emulator = await startTestEmulator();
    mock = emulator.mockBackendUrl!;
    alice = await signIn(emulator.url);
  });
  afterAll(() => emulator.close());

  it("POST /emulator/v1/reset without the token is refused: users, sessions and mailbox unchanged", async () => {
    expectRefused(await raw(mock, "POST", "/emulator/v1/reset", {}, {}), 401, "no token");
    expectRefused(await raw(mock, "POST", "/emulator/v1/reset", { "x-galaxy-backend-token": "x".repeat(43) }, {}), 401, "wrong token");
    // What a drive-by page sends (a no-cors POST carries an Origin).
    expectRefused(await raw(mock, "POST", "/emulator/v1/reset", { origin: "http://evil.example" }, {}), 403, "cross-origin");
    expect(await mailboxThroughGateway(emulator, alice.email)).toHaveLength(1);
    expect(await profileThroughGateway(emulator, alice)).toBe("ok");
  });

  it("Host: evil.example (DNS rebinding) reads no login codes", async () => {
    const answer = await raw(mock, "GET", `/emulator/v1/mailbox?email=${encodeURIComponent(alice.email)}`, { host: `evil.example:${new URL(mock).port}` });
    expectRefused(answer, 403, "rebinding");
    expect(JSON.parse(answer.text).messages).toBeUndefined();
    expect(answer.text).not.toMatch(/\d{6}/); // no login code
    expect(answer.text).not.toContain(alice.email);
  });

  it("X-Galaxy-User-Id without the token impersonates nobody", async () => {
    const headers = { "x-galaxy-user-id": alice.userId, "x-galaxy-device-session-id": alice.deviceSessionId };
    const profile = await raw(mock, "GET", "/api/v1/user/profile", headers);
    expectRefused(profile, 401, "profile");
    expect(profile.text).not.toContain(alice.email);
    expectRefused(await raw(mock, "PATCH", "/api/v1/user/profile", headers, { display_name: "pwned" }), 401, "profile patch");
    expectRefused(await raw(mock, "POST", "/api/v1/user/sessions/revoke", headers, {}), 401, "revoke");
    expect(await profileThroughGateway(emulator, alice)).toBe("ok");
  });

  it("pushes cannot be injected, nor the push log read, without the token", async () => {
    const invalidation = { session_invalidation: { user_id: alice.userId, reason: "pwned" } };
    expectRefused(await raw(mock, "POST", "/emulator/v1/push", {}, invalidation), 401, "push");
    expect(await profileThroughGateway(emulator, alice)).toBe("ok");

    const push = createClient(Push, createConnectTransport({ baseUrl: mock, httpVersion: "1.1" }));
    const error = await (async () => {
      try {
        for await (const _ of push.subscribePush({ gatewayId: "intruder", resumeAfterEventId: "0" })) return "an event was read";
        return "the stream ended without an error";
      } catch (err) {
        return ConnectError.from(err).code;
      }
    })();
    expect(error).toBe(Code.Unauthenticated);
  });

  it("every other route, /healthz and the public auth included (no rate-limit bypass), needs the token", async () => {
    const routes: [string, string, unknown?][] = [
      ["GET", "/healthz"],
      ["GET", "/emulator/v1/mailbox"],
      ["POST", "/api/v1/public/auth/send-email-code", { email: alice.email }],
      ["POST", "/api/v1/public/auth/confirm-email-code", { challenge_id: "c", code: "123456", client_public_key: "k" }],
      ["GET", `/api/v1/internal/sessions/${alice.deviceSessionId}`],
      ["GET", "/api/v1/user/sessions"],
      ["GET", "/no/such/route"],
    ];
    for (const [method, path, body] of routes) expectRefused(await raw(mock, method, path, {}, body), 401, `${method} ${path}`);
    // The send-email-code above did not reach the mock: still one message.
    expect(await mailboxThroughGateway(emulator, alice.email)).toHaveLength(1);
  });

  const chromiumPath = "/usr/bin/chromium";
  it("a cross-origin page in Chromium (no-cors fetch to the mock) changes nothing", { timeout: 60_000 }, async () => {
    expect(existsSync(chromiumPath), `${chromiumPath} is needed`).toBe(true);
    // The attacker's page, on another loopback port (Chromium lets a loopback page reach loopback).
    const page = await startHttpServer((_req, res) => {
      res.writeHead(200, { "content-type": "text/html" });
      res.end("<!doctype html><title>evil</title>");
    });
    const browser = await chromium.launch({ executablePath: chromiumPath, args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking"] });
    try {
      const tab = await browser.newPage();
      await tab.goto(`http://localhost:${page.port}/`);
      await tab.evaluate(async (target) => {
        const push = JSON.stringify({ session_invalidation: { user_id: "x", reason: "pwned" } });
        await fetch(`${target}/emulator/v1/push`, { method: "POST", mode: "no-cors", body: push, headers: { "content-type": "text/plain" } });
        await fetch(`${target}/emulator/v1/reset`, { method: "POST", mode: "no-cors" });
      }, mock);
    } finally {
      await browser.close();
      await page.close();
    }
    expect(await mailboxThroughGateway(emulator, alice.email)).toHaveLength(1);
    expect(await profileThroughGateway(emulator, alice)).toBe("ok");
  });
});

describe("the mock's token stays with the mock", () => {
  it("switched to a URL backend, the gateway sends that backend its own token (or none), never the mock's", async () => {
    const seen: { path: string; token: string | undefined }[] = [];
    const pushStreams = new Set<string | undefined>();
    let bothStreamsSeen: () => void;
    const bothStreams = new Promise<void>((resolve) => (bothStreamsSeen = resolve));
    const other = await startHttpServer((req, res) => {
      const token = req.headers["x-galaxy-backend-token"] as string | undefined;
      if (req.url?.startsWith("/galaxy.backend.v1.Push/")) {
        pushStreams.add(token);
        if (pushStreams.size === 2) bothStreamsSeen();
      } else {
        seen.push({ path: req.url ?? "", token });
      }
      req.resume();
      res.writeHead(503, { "content-type": "application/json" });
      res.end('{"error":{"code":"unavailable","message":"test backend"}}');
    });
    const withToken = await startTestEmulator({ backendToken: "url-backend-token-0123456789" });
    const without = await startTestEmulator();
    try {
      for (const emulator of [withToken, without]) {
        await patchConfig(emulator.url, { backend: other.url });
        await postJson(`${emulator.url}/api/v1/public/auth/send-email-code`, { email: "switch@example.com" });
      }
      const signIns = seen.filter((s) => s.path === "/api/v1/public/auth/send-email-code");
      expect(signIns.map((s) => s.token)).toEqual(["url-backend-token-0123456789", undefined]);
      // Whatever else the gateways asked the new backend (e.g. its stubbed types) carried the same.
      expect(new Set(seen.map((s) => s.token))).toEqual(new Set(["url-backend-token-0123456789", undefined]));
      // The push streams (retried with backoff: the fake answers 503) carry the same.
      await bothStreams;
      expect(pushStreams).toEqual(new Set(["url-backend-token-0123456789", undefined]));
    } finally {
      await withToken.close();
      await without.close();
      await other.close();
    }
  });
});

describe("an emulator with --token: the mock does not serve what the control plane guards", () => {
  const token = "control-plane-token-0123456789";
  let emulator: RunningEmulator;

  beforeAll(async () => {
    emulator = await startEmulator({ port: 0, stateDir: tempDir(), accessToken: token });
  });
  afterAll(() => emulator.close());

  it("the mailbox on the mock, without the backend token, holds no codes; through the gateway it takes the bearer", async () => {
    const email = "victim@example.com";
    const sent = await postJson(`${emulator.url}/api/v1/public/auth/send-email-code`, { email });
    expect(sent.status).toBe(200);
    expect((await getJson(`${emulator.url}/emulator/v1/mailbox`)).status).toBe(401);

    const direct = await raw(emulator.mockBackendUrl!, "GET", `/emulator/v1/mailbox?email=${encodeURIComponent(email)}`);
    expectRefused(direct, 401, "mock mailbox");
    expect(direct.text).not.toContain(email);

    expect(await mailboxThroughGateway(emulator, email, { authorization: `Bearer ${token}` })).toHaveLength(1);
  });
});

describe("standalone: npm run backend + npm run emulator -- --backend URL --backend-token-file F", () => {
  const children: Child[] = [];
  afterAll(async () => {
    for (const c of children) await c.kill9();
  });

  it("the gateway sends the token from the file and everything works through it; without the file it gets nowhere", { timeout: 60_000 }, async () => {
    const stateDir = tempDir("gge-standalone-");
    const backend = await startBackendChild(0, stateDir);
    children.push(backend);
    const tokenFile = path.join(stateDir, "backend-token");

    const emulator = spawnTs("src/cli/emulator.ts", ["--port", "0", "--state-dir", tempDir(), "--backend", backend.url, "--backend-token-file", tokenFile]);
    children.push(emulator);
    const [, url] = await emulator.line(/^Gateway emulator ready at (http:\/\/\S+)$/);
    const device = await signIn(url!); // public REST and the control plane's mailbox relay, to the child
    const res = await edgeClient(url!).executeCommand(executeCommandRequest(device, { messageType: "user.profile.get" }));
    expect(res.envelope!.resultCode).toBe("ok");

    // The same gateway setup without the token: the backend refuses it.
    const blind = spawnTs("src/cli/emulator.ts", ["--port", "0", "--state-dir", tempDir(), "--backend", backend.url]);
    children.push(blind);
    const [, blindUrl] = await blind.line(/^Gateway emulator ready at (http:\/\/\S+)$/);
    const sent = await postJson(`${blindUrl}/api/v1/public/auth/send-email-code`, { email: "blind@example.com" });
    expect({ status: sent.status, code: sent.json?.error?.code }).toEqual({ status: 401, code: "unauthorized" });
    const mailbox = await getJson(`${blindUrl}/emulator/v1/mailbox?email=${encodeURIComponent(device.email)}`);
    expect({ status: mailbox.status, messages: mailbox.json.messages }).toEqual({ status: 401, messages: undefined });
  });

  it("--backend-token-file goes with a backend URL only", async () => {
    const child = spawnTs("src/cli/emulator.ts", ["--port", "0", "--state-dir", tempDir(), "--backend-token-file", "/nonexistent"]);
    const [code] = await child.exited;
    expect(code).toBe(2);
    expect(child.stderr()).toMatch(/--backend-token-file goes with --backend URL/);
  });
});
