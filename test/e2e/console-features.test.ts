// The console's daily-use features, driven in Chromium against a real emulator whose mock backend the
// test started itself (so it can stop it): Overview health as measured, schema help for payloads,
// "Copy as" (the copied `buf curl` command is run and answers ok), history re-sent after a reload,
// collections, event signatures and the type filter, journal bodies, HAR/JSON export and clear.
import { mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Browser, Page } from "playwright-core";
import { build } from "vite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startMockBackend, type MockBackend } from "../../src/backend/server.js";
import { startEmulator, type RunningEmulator } from "../../src/emulator/start.js";
import { generateBackendToken } from "../../src/node/backend-token.js";
import type { JournalEntry } from "../../src/shared/protocol.js";
import { BUF } from "../gateway/buf-cli.js";
import { patchConfig } from "../support/emulator.js";
import { runToEnd, type RunResult } from "../support/run.js";
import { launchChromium } from "./chromium.js";
import { activate, attachConsole, byTestId, gatewayJournal, openTab, signIn, type Pilot, type WalkContext } from "./walk.js";

const repo = fileURLToPath(new URL("../../", import.meta.url));
const shotsDir = join(repo, "test-results");
const T = 60_000;

let tmp: string;
let mock: MockBackend;
let mockOpen = false;
let emulator: RunningEmulator;
let browser: Browser;
let page: Page;
let ctx: WalkContext;
let alice: Pilot;
let bob: Pilot;

/** Runs a shell command line as a person pasting it would, with buf (the devDependency) on the PATH. */
function runShell(command: string): Promise<RunResult> {
  return runToEnd("sh", ["-c", command], { env: { ...process.env, PATH: `${dirname(BUF)}:${process.env.PATH ?? ""}` } });
}

async function clipboard(): Promise<string> {
  return page.evaluate(() => navigator.clipboard.readText());
}

describe("console daily-use features (e2e, Chromium)", () => {
  beforeAll(async () => {
    browser = await launchChromium();
    tmp = await mkdtemp(join(tmpdir(), "galaxy-e2e-features-"));
    await mkdir(shotsDir, { recursive: true });
    const consoleDir = join(tmp, "renderer");
    await build({ configFile: join(repo, "src/renderer/vite.config.ts"), logLevel: "warn", build: { outDir: consoleDir, sourcemap: false } });
    const token = generateBackendToken();
    mock = await startMockBackend({ host: "127.0.0.1", port: 0, token });
    mockOpen = true;
    emulator = await startEmulator({ port: 0, stateDir: join(tmp, "state"), consoleDir, backend: mock.url, backendToken: token });
    await patchConfig(emulator.url, { public_rate_limits: { per_ip: { rate_per_s: 1000, burst: 10_000 } } });
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, acceptDownloads: true });
    await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: new URL(emulator.url).origin });
    page = await context.newPage();
    await page.goto(`${emulator.url}/`);
    ctx = await attachConsole(page, { shotsDir, shotPrefix: "features" });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await emulator?.close();
    if (mockOpen) await mock?.close();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it("opens on the Overview: gateway, backend and push stream measured healthy, the key to pin, snippets", async () => {
    await page.locator(`${byTestId("pane-overview")}:not([hidden])`).waitFor();
    for (const light of ["health-gateway", "health-backend", "health-push", "health-clock"]) {
      await page.locator(`${byTestId(light)}[data-health="ok"]`).waitFor();
    }
    expect(await page.textContent(byTestId("health-backend"))).toContain("HTTP 200");
    const key = await page.textContent(byTestId("overview-key"));
    const info = (await (await fetch(`${emulator.url}/api/v1/public/gateway/info`)).json()) as { response_signing_public_key: string };
    expect(key).toBe(info.response_signing_public_key);
    await page.click(byTestId("overview-key-copy"));
    expect(await clipboard()).toBe(info.response_signing_public_key);
    const snippets = await page.locator(byTestId("overview-snippet")).allTextContents();
    expect(snippets.join("\n")).toContain(emulator.url);
    expect(snippets.join("\n")).toContain(info.response_signing_public_key);
    await ctx.shot("01-overview");
  }, T);

  it("signs in two pilots; the Overview counts them as the backend reports", async () => {
    alice = await signIn(page, "alice@example.com");
    bob = await signIn(page, "bob@example.com");
    await openTab(page, "overview");
    await page.waitForFunction((sel) => document.querySelector(sel)?.textContent === "2", byTestId("count-users"));
    expect(await page.textContent(byTestId("count-devices"))).toBe("2");
  }, T);

  it("payload editing: field hints for a known route, missing fields named, keys autocompleted and added", async () => {
    await activate(page, alice.deviceSessionId);
    await openTab(page, "commands");
    await page.selectOption(byTestId("command-type"), "game.fleet.dispatch");
    expect(await page.locator(byTestId("field-hint")).evaluateAll((els) => els.map((e) => e.getAttribute("data-field")))).toEqual([
      "from_planet",
      "to_planet",
      "ships",
    ]);
    await page.fill(byTestId("command-payload"), '{ "from_planet": "earth" }');
    expect(await page.textContent(byTestId("payload-missing"))).toBe("missing: to_planet, ships");
    const listId = await page.getAttribute(byTestId("payload-add-key"), "list");
    expect(await page.locator(`datalist[id="${listId}"] option`).evaluateAll((els) => els.map((e) => (e as HTMLOptionElement).value))).toEqual([
      "from_planet",
      "to_planet",
      "ships",
    ]);
    await page.fill(byTestId("payload-add-key"), "to_planet");
    await page.click(byTestId("payload-add"));
    await page.fill(byTestId("payload-add-key"), "ships");
    await page.click(byTestId("payload-add"));
    expect(JSON.parse(await page.inputValue(byTestId("command-payload")))).toEqual({ from_planet: "earth", to_planet: "mars", ships: 10 });
    await page.locator(byTestId("payload-missing")).waitFor({ state: "detached" });
    await page.fill(byTestId("command-payload"), '{ "from_planet": "earth", "to_planet": "mars", "ship": 1 }');
    expect(await page.textContent(byTestId("payload-unknown"))).toContain("ship");
    await page.click(byTestId("payload-example"));
    expect(JSON.parse(await page.inputValue(byTestId("command-payload")))).toEqual({ from_planet: "earth", to_planet: "mars", ships: 10 });
    await ctx.shot("02-payload-hints");
  }, T);

  it("copy as buf curl: the copied command, run in a shell, answers ok; it says how long it stays valid", async () => {
    await page.selectOption(byTestId("command-type"), "user.profile.get");
    await page.click(byTestId("command-send"));
    await page.locator(`${byTestId("response-verification")}[data-ok="true"]`).waitFor();
    const sentId = await page.textContent(byTestId("request-id"));
    await page.click(byTestId("copy-request-signature"));
    expect((await clipboard()).replace(/\s/g, "")).toBe((await page.textContent(byTestId("request-signature")))!.replace(/\s/g, ""));

    await page.click(byTestId("copy-as-buf-curl"));
    await page.locator(`${byTestId("copy-as-command")}[data-format="buf-curl"]`).waitFor();
    const command = await clipboard();
    expect(command).toBe(await page.textContent(byTestId("copy-as-command")));
    expect(command).toMatch(/^buf curl --protocol connect --data '/);
    expect(await page.textContent(byTestId("copy-as-validity"))).toMatch(/accepts it once, for \d+ s more \(until .*freshness window 60 s\)/);
    const freshId = await page.getAttribute(byTestId("copy-as-command"), "data-request-id");
    expect(freshId).not.toBe(sentId);
    const result = await runShell(command);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const res = JSON.parse(result.stdout) as { envelope: { resultCode: string; requestId: string } };
    expect(res.envelope).toMatchObject({ resultCode: "ok", requestId: freshId });

    await page.click(byTestId("copy-as-curl"));
    expect(await clipboard()).toMatch(/^curl -sS -X POST -H 'Content-Type: application\/json' -H 'Connect-Protocol-Version: 1' --data-binary '/);
    await page.click(byTestId("copy-as-grpcurl"));
    expect(await clipboard()).toMatch(new RegExp(`^grpcurl -plaintext -d '.*' '${new URL(emulator.url).host}' galaxy\\.gateway\\.v1\\.EdgeGateway/ExecuteCommand$`, "s"));
    await ctx.shot("03-copy-as");
  }, T);

  it("history: kept per device across a reload, renamed, saved to a collection, re-sent with a fresh request id and accepted", async () => {
    await page.fill(byTestId("command-payload"), '{ "display_name": "Alice of Mars" }');
    await page.selectOption(byTestId("command-type"), "user.profile.update");
    await page.fill(byTestId("command-payload"), '{ "display_name": "Alice of Mars" }');
    await page.click(byTestId("command-send"));
    await page.locator(`${byTestId("response-verification")}[data-ok="true"]`).waitFor();
    const firstId = (await page.textContent(byTestId("request-id")))!;

    await openTab(page, "history");
    const item = page.locator(`${byTestId("history-item")}[data-request-id="${firstId}"]`);
    await item.waitFor();
    expect(await item.getAttribute("data-outcome")).toBe("ok");
    await item.locator(byTestId("history-rename")).click();
    await item.locator(byTestId("history-rename-input")).fill("rename me on Mars");
    await item.locator(byTestId("history-rename-save")).click();
    await page.locator(`${byTestId("history-item")}[data-name="rename me on Mars"]`).waitFor();
    await item.locator(byTestId("history-collection-input")).fill("Mars ops");
    await item.locator(byTestId("history-collection-save")).click();
    await page.locator(`${byTestId("collection")}[data-name="Mars ops"] ${byTestId("saved-request")}[data-name="rename me on Mars"]`).waitFor();
    // Bob's history is his own.
    await activate(page, bob.deviceSessionId);
    expect(await page.locator(byTestId("history-item")).count()).toBe(0);
    await activate(page, alice.deviceSessionId);

    await page.reload();
    await page.locator(`${byTestId("pane-history")}:not([hidden])`).waitFor();
    const kept = page.locator(`${byTestId("history-item")}[data-request-id="${firstId}"]`);
    await kept.waitFor();
    expect(await kept.getAttribute("data-name")).toBe("rename me on Mars");
    await page.locator(`${byTestId("collection")}[data-name="Mars ops"]`).waitFor();
    await ctx.shot("04-history");

    await kept.locator(byTestId("history-resend")).click();
    const resent = kept.locator(byTestId("history-resend-result"));
    await resent.waitFor();
    const newId = (await resent.getAttribute("data-request-id"))!;
    expect(newId).not.toBe(firstId);
    expect(await resent.getAttribute("data-accepted")).toBe("true");
    const journal = await gatewayJournal(ctx.gatewayOrigin);
    expect(journal.find((e) => e.request_id === newId)).toMatchObject({ code: "ok", result_code: "ok", message_type: "user.profile.update" });
    // The re-sent call is in the history too, as its own item.
    await page.locator(`${byTestId("history-item")}[data-request-id="${newId}"]`).waitFor();

    await page.locator(`${byTestId("collection")}[data-name="Mars ops"] ${byTestId("saved-send")}`).click();
    await page.locator(`${byTestId("collection")}[data-name="Mars ops"] ${byTestId("history-resend-result")}[data-accepted="true"]`).waitFor();
  }, T);

  it("events: each shows its signature and signing input, and the list filters by type", async () => {
    await openTab(page, "events");
    await page.click(byTestId("events-subscribe"));
    await page.locator(`${byTestId("stream-status")}[data-kind="open"]`).waitFor();
    for (const eventType of ["fleet.arrived", "game.notice"]) {
      const res = await fetch(`${emulator.url}/emulator/v1/push`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ client_event: { user_id: alice.userId, event_type: eventType, payload: { n: 1 } } }),
      });
      expect(res.status).toBe(200);
      await page.locator(`${byTestId("event")}[data-event-type="${eventType}"][data-verified="true"]`).waitFor();
    }
    const notice = page.locator(`${byTestId("event")}[data-event-type="game.notice"]`);
    await notice.locator(`${byTestId("event-signature")} summary`).click();
    expect(await notice.locator(`${byTestId("event-signing-input")} tr.seg`).count()).toBeGreaterThan(5);
    expect((await notice.locator(byTestId("event-signature-hex")).textContent())!.replace(/\s/g, "")).toMatch(/^[0-9a-f]{128}$/);

    await page.selectOption(byTestId("event-type-filter"), "fleet.arrived");
    expect(await page.locator(byTestId("event")).evaluateAll((els) => els.map((e) => e.getAttribute("data-event-type")))).toEqual(["fleet.arrived"]);
    await ctx.shot("05-events");
    await page.selectOption(byTestId("event-type-filter"), "");
    expect(await page.locator(byTestId("event")).count()).toBe(3); // server_time, fleet.arrived, game.notice
  }, T);

  it("journal: bodies per call, export as HAR 1.2 and JSON (parsed), clear empties it", async () => {
    await openTab(page, "inspector");
    const update = page.locator(`${byTestId("journal-entry")}[data-rpc="ExecuteCommand"]`).first();
    await update.click();
    await page.locator(byTestId("call-request-body")).waitFor();

    const harDownload = page.waitForEvent("download");
    await page.click(byTestId("journal-export-har"));
    const har = JSON.parse(await readFile((await (await harDownload).path())!, "utf8")) as {
      log: { version: string; creator: { name: string }; entries: { request: { method: string; url: string; postData?: { text: string } }; response: { status: number; content: { text: string } } }[] };
    };
    expect(har.log.version).toBe("1.2");
    expect(har.log.entries.length).toBeGreaterThan(3);
    const updates = har.log.entries.filter((e) => e.request.postData?.text.includes("Alice of Mars"));
    expect(updates.length).toBeGreaterThan(0);
    expect(updates[0]!.request).toMatchObject({ method: "POST", url: `${emulator.url}/galaxy.gateway.v1.EdgeGateway/ExecuteCommand` });
    expect(updates[0]!.response.status).toBe(200);
    expect(JSON.parse(updates[0]!.response.content.text)).toMatchObject({ display_name: "Alice of Mars" });

    const jsonDownload = page.waitForEvent("download");
    await page.click(byTestId("journal-export-json"));
    const exported = JSON.parse(await readFile((await (await jsonDownload).path())!, "utf8")) as { entries: JournalEntry[] };
    expect(exported.entries.map((e) => e.seq)).toEqual((await gatewayJournal(ctx.gatewayOrigin)).map((e) => e.seq));
    await ctx.shot("06-journal");

    await page.click(byTestId("journal-clear"));
    await page.click(`${byTestId("journal-clear")}[data-armed="true"]`);
    await page.locator(`${byTestId("journal-tools-note")}`).filter({ hasText: "journal cleared" }).waitFor();
    expect(await gatewayJournal(ctx.gatewayOrigin)).toEqual([]);
    expect(await page.locator(byTestId("journal-entry")).count()).toBe(0);
  }, T);

  it("copy buttons still copy where the Clipboard API is refused (the Electron app denies every permission)", async () => {
    await openTab(page, "overview");
    await page.locator(byTestId("overview-key")).waitFor();
    await page.evaluate(() => navigator.clipboard.writeText("something else"));
    // What the Electron app's permission handler does to navigator.clipboard.writeText.
    await page.evaluate(() => {
      navigator.clipboard.writeText = () => Promise.reject(new DOMException("Write permission denied.", "NotAllowedError"));
    });
    await page.click(byTestId("overview-key-copy"));
    await page.locator(`${byTestId("overview-key-copy")}[data-copied="true"]`).waitFor();
    expect(await clipboard()).toBe(await page.textContent(byTestId("overview-key")));
  }, T);

  it("the Overview says so when the backend stops: backend unreachable, push stream down", async () => {
    await openTab(page, "overview");
    await page.locator(`${byTestId("health-backend")}[data-health="ok"]`).waitFor();
    await mock.close();
    mockOpen = false;
    await page.locator(`${byTestId("health-backend")}[data-health="bad"]`).waitFor();
    await page.locator(`${byTestId("health-push")}[data-health="bad"]`).waitFor();
    expect(await page.textContent(byTestId("health-backend"))).toContain("unreachable");
    expect(await page.getAttribute(byTestId("health-gateway"), "data-health")).toBe("ok");
    // The header's backend light tells the same story at the same moment, not at its own next refresh.
    expect(await page.getAttribute(byTestId("backend-status"), "data-state")).toBe("bad");
    await ctx.shot("07-overview-backend-down");
    expect(ctx.pageErrors).toEqual([]);
    expect(ctx.cspViolations).toEqual([]);
  }, T);
});
