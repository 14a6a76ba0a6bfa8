// The console bugs of issue 14 ("Bugs seen" and its "Also:"), each as a person meets it in Chromium,
// against a test-owned emulator serving a fresh build of the console. Each test opens its own page
// (its own browser context: its own devices); the last ones reset and stop the emulator.
import { createServer } from "node:net";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator } from "../../src/emulator/start.js";
import { startConsoleFixture, type ConsoleFixture } from "./console-fixture.js";
import { activate, byTestId, openTab, signIn, type Pilot } from "./walk.js";

const T = 60_000;
let fx: ConsoleFixture;

beforeAll(async () => {
  fx = await startConsoleFixture("fixes");
}, 120_000);

afterAll(async () => {
  await fx?.close();
});

/** A loopback port nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function sendCode(page: Page, email: string) {
  await openTab(page, "signin");
  await page.fill(byTestId("signin-email"), email);
  await page.click(byTestId("send-code"));
  const mail = page.locator(`${byTestId("mailbox-message")}[data-email="${email}"]`).first();
  await mail.waitFor();
  return mail;
}

/** The label the header's device picker shows for a device session. */
async function pickerLabel(page: Page, deviceSessionId: string): Promise<string> {
  return (await page.locator(`${byTestId("active-device")} option[value="${deviceSessionId}"]`).textContent()) ?? "";
}

describe("console bugs (e2e, Chromium)", () => {
  it("sign-in: Confirm waits for 6 digits; a wrong code's error goes when 'use code' signs in, in one click", async () => {
    const { page } = await fx.open();
    const mail = await sendCode(page, "oneclick@example.com");
    const code = (await mail.locator(byTestId("mailbox-code")).textContent())!.trim();
    await page.fill(byTestId("signin-code"), code.slice(0, 3));
    expect(await page.isDisabled(byTestId("confirm-code"))).toBe(true);
    const wrong = String((Number(code) + 1) % 1_000_000).padStart(6, "0");
    await page.fill(byTestId("signin-code"), wrong);
    expect(await page.isDisabled(byTestId("confirm-code"))).toBe(false);
    await page.click(byTestId("confirm-code"));
    const error = page.locator(`${byTestId("signin-status")}[data-kind="error"]`);
    await error.waitFor();
    // The console signs in through the client SDK's REST (src/sdk/rest.ts): the error is the one a game
    // client built on the SDK gets, naming the call.
    expect((await error.textContent())?.trim()).toBe("invalid_code (401): POST /api/v1/public/auth/confirm-email-code: wrong code");
    // One click, as the README promises: the device is signed in, and the old error is gone.
    await mail.locator(byTestId("use-code")).click();
    await page.locator(`${byTestId("signin-status")}[data-kind="ok"]`).waitFor();
    expect(await page.locator(`${byTestId("signin-status")}[data-kind="error"]`).count()).toBe(0);
    expect(await page.locator(byTestId("device-row")).count()).toBe(1);
    await page.context().close();
  }, T);

  it("the mock inbox's used state comes from the backend: a second browser sees a used code as used", async () => {
    const first = (await fx.open()).page;
    await signIn(first, "used-twice@example.com");
    const second = (await fx.open()).page;
    await openTab(second, "signin");
    await second.fill(byTestId("signin-email"), "used-twice@example.com");
    const mail = second.locator(`${byTestId("mailbox-message")}[data-email="used-twice@example.com"]`).first();
    await mail.waitFor();
    expect(await mail.getAttribute("data-state")).toBe("used");
    expect(await mail.locator(byTestId("use-code")).count()).toBe(0);
    await first.context().close();
    await second.context().close();
  }, T);

  it("two devices of one email are told apart by words, not id prefixes; the verification line speaks plainly", async () => {
    const { page } = await fx.open();
    const a = await signIn(page, "twins@example.com");
    const b = await signIn(page, "twins@example.com");
    const [la, lb] = [await pickerLabel(page, a.deviceSessionId), await pickerLabel(page, b.deviceSessionId)];
    expect(la).not.toBe(lb);
    for (const label of [la, lb]) {
      expect(label).toContain("twins@example.com");
      expect(label).not.toMatch(/ds_/);
    }
    await openTab(page, "events");
    const targets = await page.locator(`${byTestId("revoke-target")} option`).allTextContents();
    expect(targets.filter((t) => /ds_/.test(t))).toEqual([]);
    expect(new Set(targets).size).toBe(targets.length);

    await openTab(page, "commands");
    await page.selectOption(byTestId("command-type"), "user.profile.get");
    await page.click(byTestId("command-send"));
    await page.locator(`${byTestId("response-verification")}[data-ok="true"]`).waitFor();
    const footer = (await page.textContent(`${byTestId("signing-input")} ${byTestId("signing-input-check")}`)) ?? "";
    expect(footer).not.toContain("src/shared");
    expect(footer).toMatch(/exactly the bytes/);
    await page.context().close();
  }, T);

  it("revoking needs a confirmation; a revoked device is marked everywhere and cannot be used by mistake", async () => {
    const ctx = await fx.open();
    const { page } = ctx;
    const a = await signIn(page, "revokee@example.com");
    const b = await signIn(page, "revokee@example.com");
    await activate(page, b.deviceSessionId);
    await openTab(page, "events");
    await page.selectOption(byTestId("revoke-target"), a.deviceSessionId);
    await page.click(byTestId("revoke-send"));
    // One click only arms it.
    expect(await page.getAttribute(byTestId("revoke-send"), "data-armed")).toBe("true");
    expect(await page.locator(byTestId("revoke-result")).count()).toBe(0);
    await page.click(`${byTestId("revoke-send")}[data-armed="true"]`);
    await page.locator(`${byTestId("revoke-result")}[data-result-code="ok"]`).waitFor();

    await activate(page, a.deviceSessionId);
    // The header says so visibly, not only at the end of a label the picker cuts.
    expect(await page.textContent(byTestId("active-device-state"))).toContain("revoked");
    expect(await pickerLabel(page, a.deviceSessionId)).toMatch(/^revoked · /);
    // Events: no Subscribe, a warning instead.
    expect(await page.isDisabled(byTestId("events-subscribe"))).toBe(true);
    expect(await page.textContent(`${byTestId("pane-events")} ${byTestId("dead-device-warning")}`)).toContain("revoked");
    // Commands: Sign & send only on purpose (to see the gateway's session_revoked).
    await openTab(page, "commands");
    expect(await page.textContent(`${byTestId("pane-commands")} ${byTestId("dead-device-warning")}`)).toContain("revoked");
    expect(await page.isDisabled(byTestId("command-send"))).toBe(true);
    await page.check(byTestId("command-send-anyway"));
    await page.click(byTestId("command-send"));
    await page.locator(`${byTestId("command-rejection")}[data-reason="session_revoked"]`).waitFor();
    // Tamper lab: every case would fail at the session stage, so none runs.
    await openTab(page, "tamper");
    expect(await page.textContent(`${byTestId("pane-tamper")} ${byTestId("dead-device-warning")}`)).toContain("revoked");
    expect(await page.isDisabled(byTestId("tamper-run-all"))).toBe(true);
    expect(await page.isDisabled(byTestId("tamper-bad-signature"))).toBe(true);
    await ctx.shot("revoked-device-tamper");
    await page.context().close();
  }, T);

  it("a stream that ends revoked flips the button back to Subscribe at once", async () => {
    const { page } = await fx.open();
    const a = await signIn(page, "flip@example.com");
    const b = await signIn(page, "flip@example.com");
    await activate(page, a.deviceSessionId);
    await openTab(page, "events");
    await page.click(byTestId("events-subscribe"));
    await page.locator(`${byTestId("stream-status")}[data-kind="open"]`).waitFor();
    // Revoke A from B, then look at A again: its stream ended for good.
    await activate(page, b.deviceSessionId);
    await page.selectOption(byTestId("revoke-target"), a.deviceSessionId);
    await page.click(byTestId("revoke-send"));
    await page.click(`${byTestId("revoke-send")}[data-armed="true"]`);
    await page.locator(`${byTestId("revoke-result")}[data-result-code="ok"]`).waitFor();
    await activate(page, a.deviceSessionId);
    await page.locator(`${byTestId("stream-status")}[data-kind="revoked"]`).waitFor();
    expect(await page.locator(byTestId("events-unsubscribe")).count()).toBe(0);
    expect(await page.locator(byTestId("events-subscribe")).count()).toBe(1);
    await page.context().close();
  }, T);

  it("inspector: a filter without hits says so and keeps the selected call", async () => {
    const { page } = await fx.open();
    await signIn(page, "inspect@example.com");
    await openTab(page, "commands");
    await page.selectOption(byTestId("command-type"), "user.profile.get");
    await page.click(byTestId("command-send"));
    await page.locator(`${byTestId("response-verification")}[data-ok="true"]`).waitFor();
    await openTab(page, "inspector");
    const entry = page.locator(`${byTestId("journal-entry")}[data-code="ok"]`).first();
    await entry.waitFor();
    const seq = await entry.getAttribute("data-seq");
    await entry.click();
    await page.fill(byTestId("journal-filter"), "no-such-call-anywhere");
    const empty = page.locator(`${byTestId("pane-inspector")} ${byTestId("journal-no-match")}`);
    await empty.waitFor();
    expect(await empty.textContent()).toContain("no-such-call-anywhere");
    expect(await page.textContent(`${byTestId("pane-inspector")} ${byTestId("call-title")}`)).toBe(`Call #${seq}`);
    await page.context().close();
  }, T);

  it("settings: bad values highlight their field with the valid range; an unreachable backend URL is flagged", async () => {
    const ctx = await fx.open();
    const { page } = ctx;
    await openTab(page, "settings");
    await page.fill(byTestId("settings-freshness"), "abc");
    await page.fill(byTestId("settings-per_ip-rate"), "-1");
    await page.click(byTestId("settings-save"));
    await page.locator(`${byTestId("settings-status")}[data-kind="error"]`).waitFor();
    expect(await page.getAttribute(byTestId("settings-freshness"), "aria-invalid")).toBe("true");
    expect(await page.getAttribute(byTestId("settings-per_ip-rate"), "aria-invalid")).toBe("true");
    expect(await page.getAttribute(byTestId("settings-clock-offset"), "aria-invalid")).not.toBe("true");
    const freshnessError = await page.textContent(byTestId("settings-freshness-error"));
    expect(freshnessError).toContain("1..86400000");
    expect(await page.textContent(byTestId("settings-per_ip-rate-error"))).toMatch(/greater than 0/);
    expect(await page.textContent(byTestId("pane-settings"))).not.toMatch(/Invalid input|expected number|Too small/);
    await ctx.shot("settings-refused");
    // Ranges are shown before anything goes wrong.
    expect(await page.textContent(byTestId("settings-clock-offset-hint"))).toMatch(/−?31536000000/);
    await page.fill(byTestId("settings-freshness"), "90000");
    await page.fill(byTestId("settings-per_ip-rate"), "200");

    const port = await closedPort();
    await page.fill(byTestId("settings-backend"), `http://127.0.0.1:${port}`);
    await page.click(byTestId("settings-save"));
    const flag = page.locator(byTestId("settings-backend-error"));
    await flag.waitFor();
    expect(await flag.textContent()).toMatch(/not reachable/);
    expect(await page.getAttribute(byTestId("settings-backend"), "aria-invalid")).toBe("true");
    const backendState = page.locator(`${byTestId("backend-status")}[data-state="bad"]`);
    await backendState.waitFor();
    await ctx.shot("settings-backend-unreachable");
    await page.fill(byTestId("settings-backend"), "mock");
    await page.click(byTestId("settings-save"));
    await page.locator(`${byTestId("settings-status")}[data-kind="ok"]`).waitFor();
    await page.locator(`${byTestId("backend-status")}[data-state="ok"]`).waitFor();
    expect(await page.locator(byTestId("settings-backend-error")).count()).toBe(0);
    await page.context().close();
  }, T);

  it("the header shows the clock skew against the freshness window, visibly", async () => {
    const { page } = await fx.open();
    const before = (await fx.control("GET", "/emulator/v1/config")).json as { clock_offset_ms: number; freshness_window_ms: number };
    expect((await fx.control("PATCH", "/emulator/v1/config", { clock_offset_ms: 120_000, freshness_window_ms: 5_000 })).status).toBe(200);
    try {
      await page.reload(); // the header reads gateway info on load
      const skew = page.locator(`${byTestId("gateway-skew")}[data-state="bad"]`);
      await skew.waitFor();
      expect(await skew.isVisible()).toBe(true);
      expect(await skew.textContent()).toMatch(/skew \+1[12]\d(\.\d)? s.*window 5 s/);
    } finally {
      await fx.control("PATCH", "/emulator/v1/config", { clock_offset_ms: before.clock_offset_ms, freshness_window_ms: before.freshness_window_ms });
    }
    await page.context().close();
  }, T);

  it("key rotation: after 're-pin all' the panel no longer says devices pin the old key", async () => {
    const { page } = await fx.open();
    await signIn(page, "pin-a@example.com");
    await signIn(page, "pin-b@example.com");
    await openTab(page, "settings");
    const keyBefore = await page.textContent(byTestId("gateway-key-b64"));
    await page.click(byTestId("gateway-key-rotate"));
    await page.click(`${byTestId("gateway-key-rotate")}[data-armed="true"]`);
    await page.waitForFunction(([sel, before]) => document.querySelector(sel!)?.textContent !== before, [byTestId("gateway-key-b64"), keyBefore] as const);
    await page.locator(byTestId("gateway-key-repin")).click();
    await page.locator(byTestId("gateway-key-repin")).waitFor({ state: "detached" });
    expect(await page.textContent(byTestId("gateway-key-note"))).not.toMatch(/still pin/);
    expect(await page.textContent(byTestId("gateway-key-note"))).toMatch(/every device pins the current key/);
    await page.context().close();
  }, T);

  it("/favicon.ico is served", async () => {
    const res = await fetch(`${fx.emulator.url}/favicon.ico`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("image/x-icon");
    const bytes = new Uint8Array(await res.arrayBuffer());
    expect([...bytes.slice(0, 4)]).toEqual([0, 0, 1, 0]); // ICONDIR: reserved 0, type 1 (icon)
  }, T);

  it("after a reset the stream says why it stopped, and the chat offers no user that no longer exists", async () => {
    const { page } = await fx.open();
    const alice: Pilot = await signIn(page, "reset-a@example.com");
    await signIn(page, "reset-b@example.com");
    await activate(page, alice.deviceSessionId);
    await openTab(page, "events");
    await page.click(byTestId("events-subscribe"));
    await page.locator(`${byTestId("stream-status")}[data-kind="open"]`).waitFor();
    await openTab(page, "settings");
    await page.click(byTestId("emulator-reset"));
    await page.click(`${byTestId("emulator-reset")}[data-armed="true"]`);
    await page.locator(byTestId("reset-note")).waitFor();
    await openTab(page, "events");
    expect(await page.getAttribute(byTestId("stream-status"), "data-kind")).toBe("stopped");
    expect(await page.textContent(byTestId("stream-status"))).toMatch(/emulator was reset/);
    expect(await page.isDisabled(byTestId("chat-send"))).toBe(true);
    expect(await page.locator(`${byTestId("chat-to")} option[value]:not([value=""])`).count()).toBe(0);
    expect(await page.textContent(`${byTestId("pane-events")} ${byTestId("dead-device-warning")}`)).toMatch(/reset/);
    await page.context().close();
  }, T);

  it("the header turns red as soon as streams lose the gateway", async () => {
    const { page } = await fx.open();
    await signIn(page, "health@example.com");
    await openTab(page, "events");
    await page.click(byTestId("events-subscribe"));
    await page.locator(`${byTestId("stream-status")}[data-kind="open"]`).waitFor();
    expect(await page.getAttribute(byTestId("gateway-status"), "data-state")).toBe("ok");
    const port = Number(new URL(fx.emulator.url).port);
    const closing = fx.emulator.close();
    await page.locator(`${byTestId("stream-status")}[data-kind="waiting"]`).waitFor();
    // Same render as the stream's "connection lost": no wait for the next health poll.
    expect(await page.getAttribute(byTestId("gateway-status"), "data-state")).toBe("bad");
    await closing;
    fx.emulator = await startEmulator({ port, stateDir: `${fx.tmp}/state`, consoleDir: fx.consoleDir });
    await page.locator(`${byTestId("stream-status")}[data-kind="open"]`).waitFor({ timeout: 25_000 });
    await page.locator(`${byTestId("gateway-status")}[data-state="ok"]`).waitFor();
    await page.context().close();
  }, T);
});
