// The console walk, shared by the Chromium e2e test (test/e2e/console.test.ts) and the Electron e2e
// test (test/main/electron-e2e.test.ts): the same steps, as a person would take them, against a
// Playwright Page showing the console. Nothing here assumes who started the gateway — the test's
// own emulator (Chromium) or the one embedded in the app (Electron): what a step needs beyond the
// page it takes from the gateway origin of the page's URL.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { expect } from "vitest";
import type { JournalEntry } from "../../src/shared/protocol.js";

export const byTestId = (id: string) => `[data-testid="${id}"]`;

export interface Pilot {
  deviceSessionId: string;
  userId: string;
}

export interface WalkContext {
  page: Page;
  /** The gateway serving the console, e.g. http://127.0.0.1:43127 (the origin of the page URL). */
  gatewayOrigin: string;
  /** Uncaught page errors and CSP violations seen since `attachConsole`. */
  pageErrors: string[];
  cspViolations: string[];
  /** Full-page screenshot to `<shotsDir>/<shotPrefix>-<name>.png`. */
  shot(name: string): Promise<void>;
}

/** What the steps hand each other: the two signed-in pilots. */
export interface WalkState {
  alice?: Pilot;
  bob?: Pilot;
}

/**
 * Takes over a page that shows (or is about to show) the console: waits for it to render, records
 * page errors and CSP violations, and reads the gateway origin from the page URL.
 */
export async function attachConsole(page: Page, options: { shotsDir: string; shotPrefix: string }): Promise<WalkContext> {
  const pageErrors: string[] = [];
  const cspViolations: string[] = [];
  page.setDefaultTimeout(15_000);
  page.on("pageerror", (e) => pageErrors.push(String(e)));
  page.on("console", (m) => {
    if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text());
  });
  await page.locator(byTestId("tab-signin")).waitFor();
  const gatewayOrigin = new URL(page.url()).origin;
  return {
    page,
    gatewayOrigin,
    pageErrors,
    cspViolations,
    shot: async (name) => {
      await page.screenshot({ path: join(options.shotsDir, `${options.shotPrefix}-${name}.png`), fullPage: true });
    },
  };
}

export async function openTab(page: Page, tab: string): Promise<void> {
  await page.click(byTestId(`tab-${tab}`));
  await page.locator(`${byTestId(`pane-${tab}`)}:not([hidden])`).waitFor();
}

/** Signs in through the inbox ("use code": one click); returns the new device's session and user ids. */
export async function signIn(page: Page, email: string): Promise<Pilot> {
  await openTab(page, "signin");
  await page.fill(byTestId("signin-email"), email);
  await page.click(byTestId("send-code"));
  const mail = page.locator(`${byTestId("mailbox-message")}[data-email="${email}"]`).first();
  await mail.waitFor();
  await mail.locator(byTestId("use-code")).click();
  await page.locator(`${byTestId("signin-status")}[data-kind="ok"]`).waitFor();
  const row = page.locator(`${byTestId("device-row")}[data-active="true"]`);
  await row.waitFor();
  return {
    deviceSessionId: (await row.getAttribute("data-device-id"))!,
    userId: (await row.getAttribute("data-user-id"))!,
  };
}

export async function activate(page: Page, deviceSessionId: string): Promise<void> {
  await page.selectOption(byTestId("active-device"), deviceSessionId);
  await page.locator(`${byTestId("device-row")}[data-device-id="${deviceSessionId}"][data-active="true"]`).waitFor({ state: "attached" });
}

/** The gateway's journal, read from its control plane (loopback) at the page's origin. */
export async function gatewayJournal(gatewayOrigin: string): Promise<JournalEntry[]> {
  const res = await fetch(`${gatewayOrigin}/emulator/v1/journal`);
  expect(res.status).toBe(200);
  return ((await res.json()) as { entries: JournalEntry[] }).entries;
}

function pilots(state: WalkState): { alice: Pilot; bob: Pilot } {
  if (!state.alice || !state.bob) throw new Error("walk order: sign in first");
  return { alice: state.alice, bob: state.bob };
}

// ---- the steps, in walk order --------------------------------------------------------------------

export async function signInTwoUsers(ctx: WalkContext, state: WalkState): Promise<void> {
  const { page } = ctx;
  state.alice = await signIn(page, "alice@example.com");
  state.bob = await signIn(page, "bob@example.com");
  expect(state.alice.userId).not.toBe(state.bob.userId);
  expect(await page.locator(byTestId("device-row")).count()).toBe(2);
  await ctx.shot("01-signin");
}

export async function verifiedCommand(ctx: WalkContext, state: WalkState): Promise<void> {
  const { page } = ctx;
  const { alice } = pilots(state);
  await activate(page, alice.deviceSessionId);
  await openTab(page, "commands");
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
  await ctx.shot("02-command");
}

export async function chatFromSecondDevice(ctx: WalkContext, state: WalkState): Promise<void> {
  const { page } = ctx;
  const { alice, bob } = pilots(state);
  await openTab(page, "events");
  await page.click(byTestId("events-subscribe"));
  await page.locator(`${byTestId("stream-status")}[data-kind="open"]`).waitFor();
  await page.locator(`${byTestId("event")}[data-event-type="gateway.server_time"][data-verified="true"]`).waitFor();

  // An injected backend push reaches the stream, signed.
  await page.fill(byTestId("push-event-type"), "game.notice");
  await page.click(byTestId("push-send"));
  await page.locator(byTestId("push-result")).waitFor();
  await page.locator(`${byTestId("event")}[data-event-type="game.notice"][data-verified="true"]`).waitFor();

  // Bob chats to Alice; Alice's stream keeps running while Bob is the active device.
  await activate(page, bob.deviceSessionId);
  await page.selectOption(byTestId("chat-to"), alice.userId);
  await page.fill(byTestId("chat-text"), "hello from bob");
  await page.click(byTestId("chat-send"));
  await page.locator(`${byTestId("chat-result")}[data-result-code="ok"]`).waitFor();
  await activate(page, alice.deviceSessionId);
  const chat = page.locator(`${byTestId("event")}[data-event-type="game.chat.message"]`).first();
  await chat.waitFor();
  expect(await chat.getAttribute("data-verified")).toBe("true");
  expect(await chat.textContent()).toContain("hello from bob");
  await ctx.shot("03-events");
}

export async function revocationEndsStream(ctx: WalkContext, state: WalkState): Promise<void> {
  const { page } = ctx;
  const { alice } = pilots(state);
  await page.selectOption(byTestId("revoke-target"), alice.deviceSessionId);
  await page.click(byTestId("revoke-send"));
  await page.click(`${byTestId("revoke-send")}[data-armed="true"]`);
  await page.locator(`${byTestId("revoke-result")}[data-result-code="ok"]`).waitFor();
  await page.locator(byTestId("stream-revoked")).waitFor();
  expect(await page.textContent(byTestId("stream-revoked"))).toContain("session_revoked");
  expect(await page.getAttribute(byTestId("stream-status"), "data-kind")).toBe("revoked");
  await page.locator(`${byTestId("device-row")}[data-device-id="${alice.deviceSessionId}"] ${byTestId("device-revoked")}`).waitFor({ state: "attached" });
  await ctx.shot("04-revoked");

  // A command from the revoked device (sent on purpose: the console warns) is rejected at the session stage.
  await openTab(page, "commands");
  await page.check(byTestId("command-send-anyway"));
  await page.click(byTestId("command-send"));
  const rej = page.locator(`${byTestId("command-rejection")}[data-reason="session_revoked"]`);
  await rej.waitFor();
  expect(await rej.getAttribute("data-stage")).toBe("session");
}

export const TAMPER_CASES: readonly [id: string, code: string, reason: string][] = [
  ["bad-signature", "UNAUTHENTICATED", "invalid_signature"],
  ["payload-hash", "INVALID_ARGUMENT", "payload_hash_mismatch"],
  ["stale", "UNAUTHENTICATED", "stale_request"],
  ["replay", "ALREADY_EXISTS", "replayed_request"],
  ["unknown-session", "UNAUTHENTICATED", "unknown_session"],
  ["burst", "RESOURCE_EXHAUSTED", "rate_limited"],
];

export async function tamperLab(ctx: WalkContext, state: WalkState): Promise<void> {
  const { page } = ctx;
  const { bob } = pilots(state);
  await activate(page, bob.deviceSessionId);
  await openTab(page, "tamper");
  for (const [id, code, reason] of TAMPER_CASES) {
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
  await ctx.shot("05-tamper");
}

export async function inspectorDiagrams(ctx: WalkContext, state: WalkState): Promise<void> {
  const { page } = ctx;
  const { alice } = pilots(state);
  await openTab(page, "inspector");
  const failed = page.locator(`${byTestId("journal-entry")}[data-reason="invalid_signature"]`).first();
  await failed.waitFor();
  await failed.click();
  const bad = page.locator(`${byTestId("sequence-diagram")} .seq-box[data-ok="false"]`);
  await bad.waitFor();
  expect(await bad.getAttribute("data-stage")).toBe("signature");
  expect(await bad.textContent()).toContain("invalid_signature");
  await ctx.shot("06-inspector");
  // Alice's stream ended with session_revoked and was never retried: one SubscribeEvents call only,
  // in the inspector and in the gateway's own journal.
  expect(await page.locator(`${byTestId("journal-entry")}[data-rpc="SubscribeEvents"]`).count()).toBe(1);
  const subscribes = (await gatewayJournal(ctx.gatewayOrigin)).filter((e) => e.rpc === "SubscribeEvents");
  expect(subscribes.map((e) => e.device_session_id)).toEqual([alice.deviceSessionId]);
  await page.locator(`${byTestId("journal-entry")}[data-code="ok"]`).first().click();
  await page.locator(`${byTestId("sequence-diagram")} .seq-box[data-stage="replay"][data-ok="true"]`).waitFor();
}

export async function settingsAndKeyRotation(ctx: WalkContext, _state: WalkState): Promise<void> {
  const { page } = ctx;
  await openTab(page, "settings");
  await page.fill(byTestId("settings-freshness"), "-5");
  await page.click(byTestId("settings-save"));
  await page.locator(`${byTestId("settings-status")}[data-kind="error"]`).waitFor();
  expect(await page.textContent(byTestId("settings-status"))).toContain("freshness_window_ms");
  await page.fill(byTestId("settings-freshness"), "90000");
  await page.click(byTestId("settings-save"));
  await page.locator(`${byTestId("settings-status")}[data-kind="ok"]`).waitFor();

  // CORS origins: a bad line is named; a good list is applied and shown normalised.
  const corsBefore = await page.inputValue(byTestId("settings-cors-origins"));
  await page.fill(byTestId("settings-cors-origins"), "https://game.example\nlocalhost:5173");
  await page.click(byTestId("settings-save"));
  await page.locator(`${byTestId("settings-status")}[data-kind="error"]`).waitFor();
  expect(await page.textContent(byTestId("settings-status"))).toContain("cors_origins[1]");
  await page.fill(byTestId("settings-cors-origins"), `${corsBefore}\nHTTPS://Game.Example:443`);
  await page.click(byTestId("settings-save"));
  await page.locator(`${byTestId("settings-status")}[data-kind="ok"]`).waitFor();
  expect(await page.inputValue(byTestId("settings-cors-origins"))).toBe(`${corsBefore}\nhttps://game.example`);
  const config = (await (await fetch(`${ctx.gatewayOrigin}/emulator/v1/config`)).json()) as { cors_origins: string[] };
  expect(config.cors_origins).toEqual([...corsBefore.split("\n"), "https://game.example"]);

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
  await ctx.shot("07-settings");

  // Bob still pins the old key: the response verifies ✗.
  await openTab(page, "commands");
  await page.selectOption(byTestId("command-type"), "user.sessions.list");
  await page.click(byTestId("command-send"));
  const verdict = page.locator(`${byTestId("response-verification")}[data-ok="false"]`);
  await verdict.waitFor();
  expect(await verdict.textContent()).toContain("bad signature");
}

/**
 * A reload keeps the open tab (a preference) and — when the host can store secrets — the devices.
 * A host that cannot (Electron on Linux without a secret service) must say so instead of saving.
 */
export async function reloadKeepsState(ctx: WalkContext, options: { devicesPersist: boolean; deviceCount?: number }): Promise<void> {
  const { page } = ctx;
  const openPane = await page.locator(`section[data-testid^="pane-"]:not([hidden])`).getAttribute("data-testid");
  expect(openPane).toMatch(/^pane-/);
  if (!options.devicesPersist) {
    expect(await page.locator(".banner.bad").textContent()).toContain("could not save devices");
  }
  await page.reload();
  await page.locator(`${byTestId(openPane!)}:not([hidden])`).waitFor();
  await openTab(page, "signin");
  if (options.devicesPersist) {
    await page.locator(byTestId("device-row")).first().waitFor();
    expect(await page.locator(byTestId("device-row")).count()).toBe(options.deviceCount ?? 2);
  } else {
    expect(await page.locator(byTestId("device-row")).count()).toBe(0);
  }
  expect(ctx.pageErrors).toEqual([]);
  expect(ctx.cspViolations).toEqual([]);
}

/** The host-independent part of the walk, in order (each step builds on the previous ones). */
export const CONSOLE_WALK: readonly { name: string; run: (ctx: WalkContext, state: WalkState) => Promise<void> }[] = [
  { name: "signs in two users through the mock inbox", run: signInTwoUsers },
  { name: "sends a command and verifies the signed response (✓)", run: verifiedCommand },
  { name: "subscribes and receives a verified chat from a second device", run: chatFromSecondDevice },
  { name: "revoking the session ends the stream with session_revoked, without reconnecting", run: revocationEndsStream },
  { name: "tamper lab: every case is rejected with the expected reason", run: tamperLab },
  { name: "inspector draws each call as a sequence diagram, the failing stage in red", run: inspectorDiagrams },
  { name: "settings: validation errors, key rotation breaks verification, export", run: settingsAndKeyRotation },
];
