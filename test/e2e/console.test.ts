// End-to-end walk through the web console: the headless emulator serves a fresh build of the renderer,
// and a real Chromium drives it as a person would (sign-in via the mock inbox, a verified command,
// events with a chat from a second device, a revocation, every tamper-lab case, inspector, settings).
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { build } from "vite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator, type RunningEmulator } from "../../src/emulator/start.js";

const CHROMIUM = "/usr/bin/chromium";
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) console.log(`[e2e] skipping the console tests: ${CHROMIUM} not found (apt-get install -y chromium)`);
const e2e = it.skipIf(!hasChromium);

const repo = fileURLToPath(new URL("../../", import.meta.url));
const shots = join(repo, "test-results");
const T = 60_000;

let tmp: string;
let emulator: RunningEmulator;
let browser: Browser;
let context: BrowserContext;
let page: Page;
const pageErrors: string[] = [];
const cspViolations: string[] = [];

const byTestId = (id: string) => `[data-testid="${id}"]`;

async function shot(name: string) {
  await page.screenshot({ path: join(shots, `console-${name}.png`), fullPage: true });
}

async function openTab(tab: string) {
  await page.click(byTestId(`tab-${tab}`));
  await page.locator(`${byTestId(`pane-${tab}`)}:not([hidden])`).waitFor();
}

/** Signs in through the inbox; returns the new device's session and user ids. */
async function signIn(email: string): Promise<{ deviceSessionId: string; userId: string }> {
  await openTab("signin");
  await page.fill(byTestId("signin-email"), email);
  await page.click(byTestId("send-code"));
  const mail = page.locator(`${byTestId("mailbox-message")}[data-email="${email}"]`).first();
  await mail.waitFor();
  await mail.locator(byTestId("use-code")).click();
  expect(await page.inputValue(byTestId("signin-code"))).toMatch(/^[0-9]{6}$/);
  await page.click(byTestId("confirm-code"));
  await page.locator(`${byTestId("signin-status")}[data-kind="ok"]`).waitFor();
  const row = page.locator(`${byTestId("device-row")}[data-active="true"]`);
  await row.waitFor();
  return {
    deviceSessionId: (await row.getAttribute("data-device-id"))!,
    userId: (await row.getAttribute("data-user-id"))!,
  };
}

async function activate(deviceSessionId: string) {
  await page.selectOption(byTestId("active-device"), deviceSessionId);
  await page.locator(`${byTestId("device-row")}[data-device-id="${deviceSessionId}"][data-active="true"]`).waitFor({ state: "attached" });
}

describe("web console (e2e, Chromium)", () => {
  beforeAll(async () => {
    if (!hasChromium) return;
    tmp = await mkdtemp(join(tmpdir(), "galaxy-e2e-"));
    await mkdir(shots, { recursive: true });
    const consoleDir = join(tmp, "renderer");
    // A fresh build of the current sources, in a private directory (dist/ is shared with other runs).
    await build({ configFile: join(repo, "src/renderer/vite.config.ts"), logLevel: "warn", build: { outDir: consoleDir, sourcemap: false } });
    emulator = await startEmulator({ port: 0, stateDir: join(tmp, "state"), consoleDir });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"],
    });
    context = await browser.newContext({ viewport: { width: 1440, height: 900 }, acceptDownloads: true });
    page = await context.newPage();
    page.setDefaultTimeout(15_000);
    page.on("pageerror", (e) => pageErrors.push(String(e)));
    page.on("console", (m) => {
      if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text());
    });
    await page.goto(`${emulator.url}/`);
    await page.locator(byTestId("tab-signin")).waitFor();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await emulator?.close();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  let alice: { deviceSessionId: string; userId: string };
  let bob: { deviceSessionId: string; userId: string };

  e2e("signs in two users through the mock inbox", async () => {
    alice = await signIn("alice@example.com");
    bob = await signIn("bob@example.com");
    expect(alice.userId).not.toBe(bob.userId);
    expect(await page.locator(byTestId("device-row")).count()).toBe(2);
    await shot("01-signin");
  }, T);

  e2e("sends a command and verifies the signed response (✓)", async () => {
    await activate(alice.deviceSessionId);
    await openTab("commands");
    await page.selectOption(byTestId("command-type"), "user.profile.get");
    await page.click(byTestId("command-send"));
    await page.locator(`${byTestId("response-verification")}[data-ok="true"]`).waitFor();
    expect(await page.textContent(byTestId("result-code"))).toBe("ok");
    expect(await page.locator(`${byTestId("signing-input")} tr.seg`).count()).toBe(7);
    expect(await page.textContent(byTestId("response-payload"))).toContain(alice.userId);
    // An invalid payload disables Send and says why.
    await page.fill(byTestId("command-payload"), "{ not json");
    await page.locator(byTestId("command-payload-error")).waitFor();
    expect(await page.isDisabled(byTestId("command-send"))).toBe(true);
    await page.fill(byTestId("command-payload"), "{}");
    await shot("02-command");
  }, T);

  e2e("subscribes and receives a verified chat from a second device", async () => {
    await openTab("events");
    await page.click(byTestId("events-subscribe"));
    await page.locator(`${byTestId("stream-status")}[data-kind="open"]`).waitFor();
    await page.locator(`${byTestId("event")}[data-event-type="gateway.server_time"][data-verified="true"]`).waitFor();

    // An injected backend push reaches the stream, signed.
    await page.fill(byTestId("push-event-type"), "game.notice");
    await page.click(byTestId("push-send"));
    await page.locator(byTestId("push-result")).waitFor();
    await page.locator(`${byTestId("event")}[data-event-type="game.notice"][data-verified="true"]`).waitFor();

    // Bob chats to Alice; Alice's stream keeps running while Bob is the active device.
    await activate(bob.deviceSessionId);
    await page.selectOption(byTestId("chat-to"), alice.userId);
    await page.fill(byTestId("chat-text"), "hello from bob");
    await page.click(byTestId("chat-send"));
    await page.locator(`${byTestId("chat-result")}[data-result-code="ok"]`).waitFor();
    await activate(alice.deviceSessionId);
    const chat = page.locator(`${byTestId("event")}[data-event-type="game.chat.message"]`).first();
    await chat.waitFor();
    expect(await chat.getAttribute("data-verified")).toBe("true");
    expect(await chat.textContent()).toContain("hello from bob");
    await shot("03-events");
  }, T);

  e2e("revoking the session ends the stream with session_revoked, without reconnecting", async () => {
    await page.selectOption(byTestId("revoke-target"), alice.deviceSessionId);
    await page.click(byTestId("revoke-send"));
    await page.locator(`${byTestId("revoke-result")}[data-result-code="ok"]`).waitFor();
    await page.locator(byTestId("stream-revoked")).waitFor();
    expect(await page.textContent(byTestId("stream-revoked"))).toContain("session_revoked");
    expect(await page.getAttribute(byTestId("stream-status"), "data-kind")).toBe("revoked");
    await page.locator(`${byTestId("device-row")}[data-device-id="${alice.deviceSessionId}"] ${byTestId("device-revoked")}`).waitFor({ state: "attached" });
    await shot("04-revoked");

    // A command from the revoked device is now rejected at the session stage.
    await openTab("commands");
    await page.click(byTestId("command-send"));
    const rej = page.locator(`${byTestId("command-rejection")}[data-reason="session_revoked"]`);
    await rej.waitFor();
    expect(await rej.getAttribute("data-stage")).toBe("session");
  }, T);

  const cases: [id: string, code: string, reason: string][] = [
    ["bad-signature", "UNAUTHENTICATED", "invalid_signature"],
    ["payload-hash", "INVALID_ARGUMENT", "payload_hash_mismatch"],
    ["stale", "UNAUTHENTICATED", "stale_request"],
    ["replay", "ALREADY_EXISTS", "replayed_request"],
    ["unknown-session", "UNAUTHENTICATED", "unknown_session"],
    ["burst", "RESOURCE_EXHAUSTED", "rate_limited"],
  ];

  e2e("tamper lab: every case is rejected with the expected reason", async () => {
    await activate(bob.deviceSessionId);
    await openTab("tamper");
    for (const [id, code, reason] of cases) {
      await page.click(byTestId(`tamper-${id}`));
      const result = page.locator(byTestId(`tamper-result-${id}`));
      await result.waitFor();
      expect({ id, code: await result.getAttribute("data-code"), reason: await result.getAttribute("data-reason") }).toEqual({ id, code, reason });
      expect(await result.getAttribute("data-match")).toBe("true");
    }
    const count = Number(await page.textContent(byTestId("burst-count")));
    const retryAfter = Number(await page.textContent(byTestId("burst-retry-after")));
    expect(count).toBeGreaterThan(1);
    expect(retryAfter).toBeGreaterThan(0);
    await shot("05-tamper");
  }, T);

  e2e("inspector draws each call as a sequence diagram, the failing stage in red", async () => {
    await openTab("inspector");
    const failed = page.locator(`${byTestId("journal-entry")}[data-reason="invalid_signature"]`).first();
    await failed.waitFor();
    await failed.click();
    const bad = page.locator(`${byTestId("sequence-diagram")} .seq-box[data-ok="false"]`);
    await bad.waitFor();
    expect(await bad.getAttribute("data-stage")).toBe("signature");
    expect(await bad.textContent()).toContain("invalid_signature");
    await shot("06-inspector");
    // Alice's stream ended with session_revoked and was never retried: one SubscribeEvents call only.
    expect(await page.locator(`${byTestId("journal-entry")}[data-rpc="SubscribeEvents"]`).count()).toBe(1);
    await page.locator(`${byTestId("journal-entry")}[data-code="ok"]`).first().click();
    await page.locator(`${byTestId("sequence-diagram")} .seq-box[data-stage="replay"][data-ok="true"]`).waitFor();
  }, T);

  e2e("settings: validation errors, key rotation breaks verification, export", async () => {
    await openTab("settings");
    await page.fill(byTestId("settings-freshness"), "-5");
    await page.click(byTestId("settings-save"));
    await page.locator(`${byTestId("settings-status")}[data-kind="error"]`).waitFor();
    expect(await page.textContent(byTestId("settings-status"))).toContain("freshness_window_ms");
    await page.fill(byTestId("settings-freshness"), "90000");
    await page.click(byTestId("settings-save"));
    await page.locator(`${byTestId("settings-status")}[data-kind="ok"]`).waitFor();

    const keyBefore = await page.textContent(byTestId("gateway-key-b64"));
    const [download] = await Promise.all([page.waitForEvent("download"), page.click(byTestId("gateway-key-export"))]);
    expect(download.suggestedFilename()).toBe("gateway-public-key.txt");
    expect(await readFile((await download.path())!, "utf8")).toContain(keyBefore!);

    await page.click(byTestId("gateway-key-rotate"));
    await page.click(`${byTestId("gateway-key-rotate")}[data-armed="true"]`);
    await page.waitForFunction(
      ([sel, before]) => document.querySelector(sel!)?.textContent !== before,
      [byTestId("gateway-key-b64"), keyBefore] as const,
    );
    await page.locator(byTestId("gateway-key-repin")).waitFor();
    await shot("07-settings");

    // Bob still pins the old key: the response verifies ✗.
    await openTab("commands");
    await page.selectOption(byTestId("command-type"), "user.sessions.list");
    await page.click(byTestId("command-send"));
    const verdict = page.locator(`${byTestId("response-verification")}[data-ok="false"]`);
    await verdict.waitFor();
    expect(await verdict.textContent()).toContain("bad signature");
  }, T);

  e2e("a gateway shutdown ends streams with UNAVAILABLE and the console reconnects with backoff", async () => {
    await activate(bob.deviceSessionId);
    await openTab("events");
    await page.click(byTestId("events-subscribe"));
    await page.locator(`${byTestId("stream-status")}[data-kind="open"]`).waitFor();
    const port = Number(new URL(emulator.url).port);
    const closing = emulator.close();
    await page.locator(`${byTestId("stream-status")}[data-kind="waiting"]`).waitFor();
    await page.waitForFunction((sel) => document.querySelector(sel)?.textContent?.includes("gateway_shutting_down"), byTestId("stream-history"));
    const t0 = Date.now();
    await closing;
    console.log(`[e2e] emulator.close() finished ${Date.now() - t0} ms after the stream saw gateway_shutting_down`);
    await shot("08-reconnecting");
    // Same port, same state dir: the page's origin (and its IndexedDB) is unchanged. The mock backend
    // starts empty, so the retried subscription ends for good at the session stage (no more retries).
    emulator = await startEmulator({ port, stateDir: join(tmp, "state"), consoleDir: join(tmp, "renderer") });
    const ended = page.locator(`${byTestId("stream-status")}[data-kind="ended"], ${byTestId("stream-status")}[data-kind="open"]`);
    await ended.waitFor({ timeout: 25_000 });
    const kind = await ended.getAttribute("data-kind");
    if (kind === "ended") expect(await page.getAttribute(byTestId("stream-rejection"), "data-reason")).toBe("unknown_session");
    // The inspector notices the new gateway's journal (seq restarted from 1) and follows it.
    await openTab("inspector");
    await page.locator(`${byTestId("journal-entry")}[data-rpc="SubscribeEvents"][data-seq="1"]`).waitFor({ timeout: 25_000 });
  }, T);

  e2e("devices survive a reload (IndexedDB bridge)", async () => {
    await page.reload();
    // The open tab is a preference kept by the bridge too.
    await page.locator(`${byTestId("pane-inspector")}:not([hidden])`).waitFor();
    await openTab("signin");
    await page.locator(byTestId("device-row")).first().waitFor();
    expect(await page.locator(byTestId("device-row")).count()).toBe(2);
    expect(pageErrors).toEqual([]);
    expect(cspViolations).toEqual([]);
  }, T);
});
