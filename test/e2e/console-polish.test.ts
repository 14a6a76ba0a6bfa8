// Issues 12 and 14, the reviewer's console gaps, driven in Chromium against a test-owned emulator:
// the Overview's TypeScript snippet, taken from the page, runs as copied (node + tsx) and signs in,
// executes and receives a push; copy buttons on the ids, keys, signatures and hex the console shows
// copy exactly what is shown; the Inspector says when a built-in route answered a call no stub matched.
import { spawn } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repo, startConsoleFixture, type ConsoleFixture } from "./console-fixture.js";
import { byTestId, openTab, signIn, type Pilot, type WalkContext } from "./walk.js";

const T = 90_000;
let fx: ConsoleFixture;
let ctx: WalkContext;
let page: Page;
let pilot: Pilot;

beforeAll(async () => {
  fx = await startConsoleFixture("polish");
  ctx = await fx.open({ shotPrefix: "console-polish" });
  page = ctx.page;
  await page.context().grantPermissions(["clipboard-read", "clipboard-write"], { origin: new URL(fx.emulator.url).origin });
  pilot = await signIn(page, "polish@example.com");
}, 120_000);

afterAll(async () => {
  await fx?.close();
});

async function clipboard(): Promise<string> {
  return page.evaluate(() => navigator.clipboard.readText());
}

/** Clicks a copy button and answers what landed on the clipboard. */
async function copied(selector: string): Promise<string> {
  await page.evaluate(() => navigator.clipboard.writeText("(nothing copied)"));
  await page.click(selector);
  await page.locator(`${selector}[data-copied="true"]`).waitFor();
  return clipboard();
}

const noSpaces = (s: string | null) => (s ?? "").replace(/\s/g, "");

describe("the Overview's TypeScript snippet", () => {
  it("runs as copied: signs in through the mailbox, executes a verified command, receives a pushed event", async () => {
    await openTab(page, "overview");
    const snippet = page.locator(`${byTestId("overview-snippet")}[data-kind="sdk"] pre`);
    await snippet.waitFor();
    const text = (await snippet.textContent())!;
    const file = join(fx.tmp, "play.mts");
    await writeFile(file, text);
    // As a user runs it: node with tsx; "galaxy-gateway-emulator/sdk" resolves by the package name
    // (here through the repository's tsconfig paths, as in every test that imports it).
    const child = spawn(process.execPath, ["--import", "tsx", file], { cwd: repo, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    const waiters = new Set<() => void>();
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
      for (const w of waiters) w();
    });
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    /** Resolves when the snippet's output matches; fails if it exits first. */
    const seen = (pattern: RegExp) =>
      new Promise<RegExpExecArray>((resolve, reject) => {
        const check = () => {
          const m = pattern.exec(stdout);
          if (!m) return;
          waiters.delete(check);
          resolve(m);
        };
        waiters.add(check);
        void exited.then((code) => reject(new Error(`the snippet exited (${code}) before ${pattern}: ${stdout}\n${stderr}`)));
        check();
      });
    try {
      const [, userId] = await seen(/^ok \{[^]*?user_id: '([^']+)'/m);
      await seen(/^gateway\.server_time \{ server_time_ms: \d+ \}$/m);
      const pushed = await fx.control("POST", "/emulator/v1/push", { client_event: { user_id: userId, event_type: "game.notice", payload: { text: "from the test" } } });
      expect(pushed.status).toBe(200);
      await seen(/^game\.notice \{ text: 'from the test' \}$/m);
      expect(stderr).toBe("");
    } finally {
      child.kill();
      await exited;
    }
  }, T);
});

/** The hex a signing-input table shows, its rows joined (prefixes included), without the spacing. */
async function shownSigningInputHex(testId: string): Promise<string> {
  const cells = await page.locator(`${byTestId(testId)} td.hex`).allTextContents();
  expect(cells.length).toBeGreaterThan(0);
  return noSpaces(cells.join(""));
}

describe("copy buttons on ids, keys, signatures and hex (issue 14)", () => {
  it("Commands: device_session_id, payload hashes, signatures, request_id and both signing inputs copy what is shown", async () => {
    await openTab(page, "commands");
    await page.selectOption(byTestId("command-type"), "user.profile.get");
    expect(await copied(byTestId("copy-command-device-session-id"))).toBe(pilot.deviceSessionId);
    expect(await page.textContent(byTestId("command-device-session-id"))).toBe(pilot.deviceSessionId);
    await page.click(byTestId("command-send"));
    await page.locator(`${byTestId("response-verification")}[data-ok="true"]`).waitFor();

    expect(await copied(byTestId("copy-request-device-session-id"))).toBe(pilot.deviceSessionId);
    expect(await page.textContent(byTestId("request-device-session-id"))).toBe(pilot.deviceSessionId);
    const signingInput = await copied(byTestId("signing-input-copy"));
    expect(signingInput).toMatch(/^[0-9a-f]+$/);
    expect(signingInput).toBe(await shownSigningInputHex("signing-input"));

    expect(await copied(byTestId("copy-response-device-session-id"))).toBe(pilot.deviceSessionId);
    expect(await copied(byTestId("copy-response-request-id"))).toBe(await page.textContent(byTestId("request-id")));
    expect(await page.textContent(byTestId("response-request-id"))).toBe(await page.textContent(byTestId("request-id")));
    expect(await copied(byTestId("copy-response-payload-hash"))).toBe(noSpaces(await page.textContent(byTestId("response-payload-hash"))));
    expect(await copied(byTestId("copy-response-signature"))).toBe(noSpaces(await page.textContent(byTestId("response-signature"))));
    await page.click(`${byTestId("command-result")} details summary`);
    const responseInput = await copied(byTestId("response-signing-input-copy"));
    expect(responseInput).toMatch(/^[0-9a-f]+$/);
    expect(responseInput).toBe(await shownSigningInputHex("response-signing-input"));
    await ctx.shot("commands-copy");
  }, T);

  it("Events: event_id, signature and signing input copy what is shown", async () => {
    await openTab(page, "events");
    await page.click(byTestId("events-subscribe"));
    const event = page.locator(`${byTestId("event")}[data-event-type="gateway.server_time"][data-verified="true"]`).first();
    await event.waitFor();
    const eventId = await event.getAttribute("data-event-id");
    expect(eventId).toMatch(/./);
    expect(await copied(`${byTestId("event")}[data-event-id="${eventId}"] ${byTestId("copy-event-id")}`)).toBe(eventId);
    await event.locator(`${byTestId("event-signature")} summary`).click();
    expect(await copied(`${byTestId("event")}[data-event-id="${eventId}"] ${byTestId("copy-event-signature")}`)).toBe(
      noSpaces(await event.locator(byTestId("event-signature-hex")).textContent()),
    );
    const input = await copied(`${byTestId("event")}[data-event-id="${eventId}"] ${byTestId("event-signing-input-copy")}`);
    expect(input).toMatch(/^[0-9a-f]+$/);
    expect(input).toBe(await shownSigningInputHex("event-signing-input"));
    await page.click(byTestId("events-unsubscribe"));
  }, T);

  it("Sign in: each device's user id and session id", async () => {
    await openTab(page, "signin");
    const row = `${byTestId("device-row")}[data-device-id="${pilot.deviceSessionId}"]`;
    expect(await copied(`${row} ${byTestId("device-copy-session-id")}`)).toBe(pilot.deviceSessionId);
    expect(await copied(`${row} ${byTestId("device-copy-user-id")}`)).toBe(pilot.userId);
    await ctx.shot("signin-copy");
  }, T);
});

describe("the Inspector on a call no stub matched (issue 12)", () => {
  it("says the built-in route answered it, in neutral colour, when it did", async () => {
    const saved = await fx.control("POST", "/emulator/v1/stubs", {
      id: "polish-big-fleet",
      message_type: "game.fleet.dispatch",
      match: { payload: { ships: 500 } },
      respond: { payload: { fleet_id: "f_stubbed", ships_remaining: 0 } },
    });
    expect(saved.status).toBe(200);
    await openTab(page, "commands");
    await page.selectOption(byTestId("command-type"), "game.fleet.dispatch");
    await page.fill(byTestId("command-payload"), JSON.stringify({ from_planet: "earth", to_planet: "mars", ships: 10 }));
    const before = (await page.locator(byTestId("request-id")).count()) ? await page.textContent(byTestId("request-id")) : null;
    await page.click(byTestId("command-send"));
    await page.waitForFunction(({ sel, before }) => document.querySelector(sel)?.textContent !== before, { sel: byTestId("request-id"), before });
    await page.locator(`${byTestId("response-verification")}[data-ok="true"]`).waitFor();
    expect(await page.textContent(byTestId("result-code"))).toBe("ok"); // the built-in route's answer
    const requestId = (await page.textContent(byTestId("request-id")))!;

    await openTab(page, "inspector");
    await page.fill(byTestId("journal-filter"), requestId);
    const entry = page.locator(byTestId("journal-entry")).first();
    await entry.waitFor();
    await entry.click();
    const line = "no stub matched (nearest polish-big-fleet, differs at payload.ships); answered by the built-in route";
    const tag = entry.locator(byTestId("journal-stub"));
    expect(await tag.textContent()).toBe(line);
    expect(await tag.getAttribute("class")).not.toMatch(/\bbad\b/);
    const detail = page.locator(byTestId("call-stub"));
    expect(await detail.textContent()).toBe(line);
    expect(await detail.getAttribute("class")).not.toMatch(/bad-text/);
    await ctx.shot("inspector-built-in-route");
  }, T);
});
