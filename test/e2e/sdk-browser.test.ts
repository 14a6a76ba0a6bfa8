// The client SDK in Chromium: src/sdk bundled by esbuild for the browser platform (a Node built-in
// anywhere in its imports fails the build), served by a page on its own origin, talking to a real
// emulator on another (CORS grants loopback origins by default): sign-in, verified commands over Connect
// and gRPC-Web, a rejection's typed fields, a pushed event verified in the page, the stream ending on
// revocation, and an exported device working in a new client.
import type http from "node:http";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningEmulator } from "../../src/emulator/start.js";
import { startHttpServer, type FakeBackend } from "../hardening/support.js";
import { getJson, postJson, startTestEmulator } from "../support/emulator.js";
import { launchChromium } from "./chromium.js";

const FIXTURE = fileURLToPath(new URL("./fixtures/sdk-page.ts", import.meta.url));
const T = 30_000;

let bundle: string;
let pageServer: FakeBackend;
let gateway: RunningEmulator;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];

function servePage(req: http.IncomingMessage, res: http.ServerResponse): void {
  if (req.url === "/sdk-page.js") {
    res.writeHead(200, { "content-type": "text/javascript; charset=utf-8" });
    res.end(bundle);
  } else if (req.url === "/") {
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
    res.end('<!doctype html><title>SDK page</title><script type="module" src="/sdk-page.js"></script>');
  } else {
    res.writeHead(404);
    res.end();
  }
}

async function mailedCode(email: string, challengeId: string): Promise<string> {
  const mailbox = await getJson(`${gateway.url}/emulator/v1/mailbox?email=${encodeURIComponent(email)}`);
  return mailbox.json.messages.findLast((m: { challenge_id: string }) => m.challenge_id === challengeId).code;
}

/** Signs client `name` in from the page, reading the code from the mailbox in Node. */
async function signIn(name: string, email: string, protocol: "connect" | "grpcweb"): Promise<{ deviceSessionId: string; userId: string }> {
  await page.evaluate(([n, gw, p]) => window.sdkPage.create(n, gw, p), [name, gateway.url, protocol] as const);
  const sent = await page.evaluate(([n, e]) => window.sdkPage.sendEmailCode(n, e), [name, email] as const);
  if (!("ok" in sent)) throw new Error(`sendEmailCode: ${JSON.stringify(sent)}`);
  const code = await mailedCode(email, sent.ok);
  const confirmed = await page.evaluate(([n, c, k]) => window.sdkPage.confirmEmailCode(n, c, k), [name, sent.ok, code] as const);
  if (!("ok" in confirmed)) throw new Error(`confirmEmailCode: ${JSON.stringify(confirmed)}`);
  return confirmed.ok;
}

describe("the client SDK in Chromium", () => {
  beforeAll(async () => {
    const built = await build({ entryPoints: [FIXTURE], bundle: true, format: "esm", platform: "browser", target: "es2022", write: false, logLevel: "silent" });
    bundle = built.outputFiles[0]!.text;
    pageServer = await startHttpServer(servePage);
    gateway = await startTestEmulator();
    browser = await launchChromium();
    page = await browser.newPage();
    page.setDefaultTimeout(15_000);
    page.on("pageerror", (e) => pageErrors.push(String(e)));
    await page.goto(`${pageServer.url}/`);
    await page.waitForFunction(() => "sdkPage" in window);
    expect(new URL(page.url()).origin).not.toBe(new URL(gateway.url).origin);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await gateway?.close();
    await pageServer?.close();
  });

  it.each(["connect", "grpcweb"] as const)("signs in and runs a verified command over %s", async (protocol) => {
    const session = await signIn(protocol, `browser-${protocol}@example.com`, protocol);
    const answer = await page.evaluate((n) => window.sdkPage.execute(n, "user.profile.get"), protocol);
    expect(answer).toEqual({ ok: { ok: true, resultCode: "ok", payload: expect.objectContaining({ user_id: session.userId, email: `browser-${protocol}@example.com` }) } });
    const business = await page.evaluate((n) => window.sdkPage.execute(n, "game.fleet.dispatch", { from_planet: "earth", to_planet: "mars", ships: 500 }), protocol);
    expect(business).toMatchObject({ ok: { ok: false, resultCode: "insufficient_ships" } });
  }, T);

  it("throws a GatewayCallError carrying code, reason and stage", async () => {
    await signIn("rejected", "browser-rejected@example.com", "grpcweb");
    const outcome = await page.evaluate(() => window.sdkPage.execute("rejected", "no.such.type", {}));
    expect(outcome).toMatchObject({ error: { name: "GatewayCallError", code: "unimplemented", reason: "unknown_message_type", stage: "routing" } });
  }, T);

  it("receives a pushed event verified in the page, and the stream ends on revocation", async () => {
    const session = await signIn("listener", "browser-listener@example.com", "connect");
    await page.evaluate(() => window.sdkPage.subscribe("listener"));
    const pushed = await postJson(`${gateway.url}/emulator/v1/push`, {
      client_event: { user_id: session.userId, event_type: "game.notice", payload: { text: "fleet arrived" } },
    });
    expect(pushed.status).toBe(200);
    await page.waitForFunction(() => window.sdkPage.events("listener").length === 2);
    const events = await page.evaluate(() => window.sdkPage.events("listener"));
    expect(events.map((e) => e.eventType)).toEqual(["gateway.server_time", "game.notice"]);
    expect(events[1]).toMatchObject({ eventId: pushed.json.event_id, payload: { text: "fleet arrived" } });

    const revoked = await postJson(`${gateway.url}/emulator/v1/push`, {
      session_invalidation: { user_id: session.userId, device_session_id: session.deviceSessionId, reason: "test" },
    });
    expect(revoked.status).toBe(200);
    await page.waitForFunction(() => window.sdkPage.streamEnd("listener") !== undefined);
    expect(await page.evaluate(() => window.sdkPage.streamEnd("listener"))).toMatchObject({
      name: "GatewayCallError",
      code: "failed_precondition",
      reason: "session_revoked",
    });
  }, T);

  it("keeps working from an exported device in a new client", async () => {
    await signIn("original", "browser-export@example.com", "connect");
    const exported = await page.evaluate(() => window.sdkPage.exportDevice("original"));
    await page.evaluate(([gw, e]) => window.sdkPage.importInto("restored", gw, e), [gateway.url, exported] as const);
    const answer = await page.evaluate(() => window.sdkPage.execute("restored", "user.profile.get"));
    expect(answer).toMatchObject({ ok: { ok: true, payload: { email: "browser-export@example.com" } } });
    expect(pageErrors).toEqual([]);
  }, T);
});
