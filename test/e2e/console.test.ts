// End-to-end walk through the web console: the headless emulator serves a fresh build of the renderer,
// and a real Chromium drives it as a person would. The walk itself (sign-in via the mock inbox, a
// verified command, events with a chat from a second device, a revocation, every tamper-lab case,
// inspector, settings) lives in ./walk.ts and is the same one the Electron e2e test runs; what only a
// test-owned emulator allows (stopping and restarting the gateway) is added here.
import { mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Browser, Page } from "playwright-core";
import { build } from "vite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator, type RunningEmulator } from "../../src/emulator/start.js";
import { CONSOLE_CSP } from "../../src/shared/console-csp.js";
import { launchChromium } from "./chromium.js";
import { activate, attachConsole, byTestId, CONSOLE_WALK, gatewayJournal, openTab, reloadKeepsState, type WalkContext, type WalkState } from "./walk.js";

const repo = fileURLToPath(new URL("../../", import.meta.url));
const shotsDir = join(repo, "test-results");
const T = 60_000;

let tmp: string;
let emulator: RunningEmulator;
let browser: Browser;
let page: Page;
let ctx: WalkContext;
const state: WalkState = {};

describe("web console (e2e, Chromium)", () => {
  beforeAll(async () => {
    browser = await launchChromium(); // first: without Chromium, fail before the build
    tmp = await mkdtemp(join(tmpdir(), "galaxy-e2e-"));
    await mkdir(shotsDir, { recursive: true });
    const consoleDir = join(tmp, "renderer");
    // A fresh build of the current sources, in a private directory (dist/ is shared with other runs).
    await build({ configFile: join(repo, "src/renderer/vite.config.ts"), logLevel: "warn", build: { outDir: consoleDir, sourcemap: false } });
    emulator = await startEmulator({ port: 0, stateDir: join(tmp, "state"), consoleDir });
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, acceptDownloads: true });
    page = await context.newPage();
    await page.goto(`${emulator.url}/`);
    ctx = await attachConsole(page, { shotsDir, shotPrefix: "console" });
    expect(ctx.gatewayOrigin).toBe(new URL(emulator.url).origin);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await emulator?.close();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  for (const step of CONSOLE_WALK) {
    it(step.name, () => step.run(ctx, state), T);
  }

  it("a gateway shutdown ends streams with UNAVAILABLE and the console reconnects with backoff", async () => {
    await activate(page, state.bob!.deviceSessionId);
    await openTab(page, "events");
    await page.click(byTestId("events-subscribe"));
    await page.locator(`${byTestId("stream-status")}[data-kind="open"]`).waitFor();
    const port = Number(new URL(emulator.url).port);
    const seqBefore = Math.max(...(await gatewayJournal(ctx.gatewayOrigin)).map((e) => e.seq));
    const closing = emulator.close();
    await page.locator(`${byTestId("stream-status")}[data-kind="waiting"]`).waitFor();
    await page.waitForFunction((sel) => document.querySelector(sel)?.textContent?.includes("gateway_shutting_down"), byTestId("stream-history"));
    const t0 = Date.now();
    await closing;
    console.log(`[e2e] emulator.close() finished ${Date.now() - t0} ms after the stream saw gateway_shutting_down`);
    await ctx.shot("08-reconnecting");
    // Same port, same state dir: the page's origin (and its IndexedDB) is unchanged, and the mock
    // backend reloads its sessions from stateDir/mock-backend, so Bob's session is still known: the
    // retried subscription opens again (it would end for good at the session stage otherwise).
    emulator = await startEmulator({ port, stateDir: join(tmp, "state"), consoleDir: join(tmp, "renderer") });
    const settled = page.locator(`${byTestId("stream-status")}[data-kind="ended"], ${byTestId("stream-status")}[data-kind="open"]`);
    await settled.waitFor({ timeout: 25_000 });
    expect(await settled.getAttribute("data-kind"), (await settled.textContent()) ?? "").toBe("open");
    // The new gateway restored the journal from the state dir (seq goes on); the inspector follows it
    // and shows the new subscription.
    await openTab(page, "inspector");
    await page.locator(`${byTestId("journal-entry")}[data-rpc="SubscribeEvents"][data-seq="${seqBefore + 1}"]`).waitFor({ timeout: 25_000 });
  }, T);

  it("devices survive a reload (IndexedDB bridge)", () => reloadKeepsState(ctx, { devicesPersist: true }), T);

  // Last: it makes the page report CSP violations on purpose. The walk above asserts there were none;
  // this shows that the page is under the strict policy and that such a report would have been seen.
  it("strict CSP: the bundled stylesheet applies; an inline style attribute or <style> element is refused and reported", async () => {
    const policy = await page.evaluate(async () => (await fetch(location.href)).headers.get("content-security-policy"));
    expect(policy).toBe(CONSOLE_CSP);
    // What Vite built carries no inline style: the stylesheet is a <link> to a bundled file.
    const html = await readFile(join(tmp, "renderer", "index.html"), "utf8");
    expect(html).not.toMatch(/<style|\sstyle=/i);
    expect(html).toMatch(/<link rel="stylesheet"[^>]* href="\.\/assets\/[^"]+\.css"/);
    const reported = page.waitForEvent("console", (m) => /Content Security Policy/i.test(m.text()));
    reported.catch(() => {}); // awaited below, after the style checks (which fail first if nothing is refused)
    const styles = await page.evaluate(() => {
      const probe = document.createElement("div");
      probe.innerHTML = '<span style="color: rgb(255, 0, 0)">inline attribute</span><style>#root { outline: 3px solid rgb(0, 0, 255) }</style>';
      document.body.append(probe);
      const seen = {
        body: getComputedStyle(document.body).backgroundColor,
        attribute: getComputedStyle(probe.firstElementChild!).color,
        element: getComputedStyle(document.getElementById("root")!).outlineColor,
      };
      probe.remove();
      return seen;
    });
    expect(styles.body).toBe("rgb(18, 21, 27)"); // styles.css: --bg #12151b
    expect(styles.attribute).not.toBe("rgb(255, 0, 0)");
    expect(styles.element).not.toBe("rgb(0, 0, 255)");
    expect((await reported).text()).toMatch(/style/i);
    expect(ctx.cspViolations.length).toBeGreaterThan(0); // the walk's collector saw it too
  }, T);
});
