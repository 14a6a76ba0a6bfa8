// A web game client on its own origin calls the gateway from Chromium: a second local HTTP server
// serves a page and a bundle (test/e2e/fixtures/web-client.ts, built here with esbuild, using
// @connectrpc/connect-web and the project's SDK). Against the default cors_origins (loopback, any port)
// it signs in through the public REST (and reads a 429's Retry-After), runs signed ExecuteCommands over
// Connect and gRPC-Web and receives a push on SubscribeEvents streams of both; against a gateway whose list leaves its origin
// out, the browser refuses every call while the same calls from Node work; a cross-origin request to
// the control plane changes nothing. The fixture's example is the README's, word for word.
import { readFile } from "node:fs/promises";
import type http from "node:http";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningEmulator } from "../../src/emulator/start.js";
import { SERVER_TIME_EVENT_TYPE } from "../../src/shared/protocol.js";
import { executeCommandRequest } from "../../src/shared/sdk.js";
import { startHttpServer, type FakeBackend } from "../hardening/support.js";
import { edgeClient, getJson, postJson, signIn, startTestEmulator } from "../support/emulator.js";
import { launchChromium } from "./chromium.js";

const FIXTURE = fileURLToPath(new URL("./fixtures/web-client.ts", import.meta.url));
const README = fileURLToPath(new URL("../../README.md", import.meta.url));
const T = 30_000;

let bundle: string;
let pageServer: FakeBackend;
/** Default cors_origins: the page's http://127.0.0.1:<port> is granted. */
let gateway: RunningEmulator;
/** cors_origins leaves the page's origin out ("localhost" and "127.0.0.1" are distinct origins). */
let refusing: RunningEmulator;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];
const session = { deviceSessionId: "", userId: "" };

function servePage(req: http.IncomingMessage, res: http.ServerResponse): void {
  if (req.url === "/web-client.js") {
    res.writeHead(200, { "content-type": "text/javascript; charset=utf-8" });
    res.end(bundle);
  } else if (req.url === "/") {
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
    res.end('<!doctype html><title>web game client</title><script type="module" src="/web-client.js"></script>');
  } else {
    res.writeHead(404);
    res.end();
  }
}

/** The latest code the mock mailed to `email` for `challengeId` (the control plane, from loopback Node). */
async function mailedCode(baseUrl: string, email: string, challengeId: string): Promise<string> {
  const mailbox = await getJson(`${baseUrl}/emulator/v1/mailbox?email=${encodeURIComponent(email)}`);
  const message = mailbox.json.messages.findLast((m: { challenge_id: string }) => m.challenge_id === challengeId);
  if (!message) throw new Error(`no mail for challenge ${challengeId}`);
  return message.code;
}

describe("a web client on another origin (Chromium)", () => {
  beforeAll(async () => {
    const built = await build({ entryPoints: [FIXTURE], bundle: true, format: "esm", platform: "browser", target: "es2022", write: false, logLevel: "warning" });
    bundle = built.outputFiles[0]!.text;
    pageServer = await startHttpServer(servePage);
    gateway = await startTestEmulator();
    refusing = await startTestEmulator({ corsOrigins: ["http://localhost:5173"] });
    browser = await launchChromium();
    page = await browser.newPage();
    page.setDefaultTimeout(15_000);
    page.on("pageerror", (e) => pageErrors.push(String(e)));
    await page.goto(`${pageServer.url}/`);
    await page.waitForFunction(() => "webClient" in window);
    expect(new URL(page.url()).origin).not.toBe(new URL(gateway.url).origin);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await gateway?.close();
    await refusing?.close();
    await pageServer?.close();
  });

  it("signs in through the public REST", async () => {
    const email = "web-pilot@example.com";
    const challengeId = await page.evaluate(([gw, e]) => window.webClient.sendCode(gw, e), [gateway.url, email] as const);
    const code = await mailedCode(gateway.url, email, challengeId);
    Object.assign(session, await page.evaluate(([gw, c, k]) => window.webClient.confirmCode(gw, c, k), [gateway.url, challengeId, code] as const));
    expect(session.deviceSessionId).not.toBe("");
    expect(session.userId).not.toBe("");
  }, T);

  it.each(["connect", "grpc-web"] as const)("runs a signed ExecuteCommand over %s, its signed answer verified in the page", async (protocol) => {
    const answer = await page.evaluate(
      ([gw, p]) => window.webClient.execute(gw, "user.profile.get", undefined, p),
      [gateway.url, protocol] as const,
    );
    expect(answer).toMatchObject({ resultCode: "ok", payload: { user_id: session.userId, email: "web-pilot@example.com" } });
  }, T);

  it.each(["connect", "grpc-web"] as const)("reads a rejection's code and message over %s", async (protocol) => {
    const outcome = await page.evaluate(
      ([gw, p]) => window.webClient.outcome(() => window.webClient.execute(gw, "no.such.type", undefined, p)),
      [gateway.url, protocol] as const,
    );
    expect(outcome).toContain("[unimplemented]");
    expect(outcome).toContain('no route for message_type "no.such.type"');
  }, T);

  it("reads the Retry-After of a rate-limited sign-in (an exposed header)", async () => {
    const answers = await page.evaluate(async (gw) => {
      const out: { status: number; retryAfter: string | null }[] = [];
      // The per-e-mail budget is 5 codes in a burst (config.ts): the 6th is refused, at most 10 tries.
      for (let i = 0; i < 10 && out.at(-1)?.status !== 429; i++) {
        const res = await fetch(`${gw}/api/v1/public/auth/send-email-code`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ email: "impatient@example.com" }),
        });
        out.push({ status: res.status, retryAfter: res.headers.get("retry-after") });
      }
      return out;
    }, gateway.url);
    const limited = answers.at(-1)!;
    expect(limited.status).toBe(429);
    expect(Number(limited.retryAfter)).toBeGreaterThan(0);
  }, T);

  it("receives a push on SubscribeEvents streams over Connect and gRPC-Web", async () => {
    for (const protocol of ["connect", "grpc-web"] as const) {
      await page.evaluate(([gw, p]) => window.webClient.subscribe(gw, p), [gateway.url, protocol] as const);
    }
    const pushed = await postJson(`${gateway.url}/emulator/v1/push`, {
      client_event: { user_id: session.userId, device_session_id: session.deviceSessionId, event_type: "game.notice", payload: { text: "fleet arrived" } },
    });
    expect(pushed.status).toBe(200);
    for (const protocol of ["connect", "grpc-web"] as const) {
      await page.waitForFunction((p) => window.webClient.seen(p).some((e) => e.type === "game.notice"), protocol);
      const seen = await page.evaluate((p) => window.webClient.seen(p), protocol);
      expect(seen.map((e) => e.type)).toEqual([SERVER_TIME_EVENT_TYPE, "game.notice"]);
      expect(seen[1]!.payload).toEqual({ text: "fleet arrived" });
    }
    expect(await page.evaluate(() => window.webClient.streamErrors())).toEqual([]);
  }, T);

  it("an origin outside cors_origins is refused by the browser; the same calls from Node work", async () => {
    const outcomes = await page.evaluate(async (gw) => {
      const c = window.webClient;
      return {
        info: await c.outcome(() => c.gatewayKey(gw)),
        rest: await c.outcome(() => c.sendCode(gw, "refused@example.com")),
        connect: await c.outcome(() => c.execute(gw, "user.profile.get", undefined, "connect")),
        grpcWeb: await c.outcome(() => c.execute(gw, "user.profile.get", undefined, "grpc-web")),
      };
    }, refusing.url);
    expect(outcomes.info).toBe("TypeError: Failed to fetch");
    expect(outcomes.rest).toBe("TypeError: Failed to fetch");
    expect(outcomes.connect).toMatch(/^ConnectError: \[unknown\] Failed to fetch/);
    expect(outcomes.grpcWeb).toMatch(/^ConnectError: \[unknown\] Failed to fetch/);

    const info = await getJson(`${refusing.url}/api/v1/public/gateway/info`);
    expect(info.status).toBe(200);
    const device = await signIn(refusing.url);
    const answer = await edgeClient(refusing.url, "connect h1").executeCommand(executeCommandRequest(device, { messageType: "user.profile.get" }));
    expect(answer.envelope?.resultCode).toBe("ok");
  }, T);

  it("a cross-origin request to /emulator/v1/reset changes nothing", async () => {
    const before = await getJson(`${gateway.url}/emulator/v1/journal`);
    expect(before.json.entries.length).toBeGreaterThan(0);
    // A "simple" request (no preflight) reaches the gateway: the control plane refuses it (403).
    const refused = page.waitForResponse((r) => r.url() === `${gateway.url}/emulator/v1/reset`);
    await page.evaluate((gw) => fetch(`${gw}/emulator/v1/reset`, { method: "POST", mode: "no-cors", body: "{}" }).then(() => undefined), gateway.url);
    expect((await refused).status()).toBe(403);
    // A JSON one needs a preflight, which the control plane refuses: the browser never sends it.
    const json = await page.evaluate(
      (gw) => window.webClient.outcome(() => fetch(`${gw}/emulator/v1/reset`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" })),
      gateway.url,
    );
    expect(json).toBe("TypeError: Failed to fetch");

    const after = await getJson(`${gateway.url}/emulator/v1/journal`);
    expect(after.json.entries.length).toBeGreaterThanOrEqual(before.json.entries.length); // a reset empties it
    const answer = await page.evaluate((gw) => window.webClient.execute(gw, "user.profile.get", undefined, "connect"), gateway.url);
    expect(answer.resultCode).toBe("ok"); // the device session survived
    expect(pageErrors).toEqual([]);
  }, T);

  it("the README's example is the one this test runs", async () => {
    const fixture = await readFile(FIXTURE, "utf8");
    const region = /\/\/ #region readme-example\n([\s\S]*?)\/\/ #endregion/.exec(fixture)?.[1];
    expect(region).toBeDefined();
    expect(await readFile(README, "utf8")).toContain(region!);
  });
});
