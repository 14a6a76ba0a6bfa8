// The console's layout and accessibility (issue 14), in Chromium: at 800 and 1,280 px no tab scrolls
// sideways, tab labels stay on one line and hex never breaks inside a byte group; axe-core finds no
// serious or critical violation on any tab; the tabs follow the WAI-ARIA tabs pattern from the
// keyboard. Every tab is screenshotted at both widths into test-results/.
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TABS } from "../../src/renderer/state/app-store.js";
import { startConsoleFixture, type ConsoleFixture } from "./console-fixture.js";
import { activate, byTestId, openTab, signIn, type WalkContext } from "./walk.js";

const T = 120_000;
const WIDTHS = [800, 1280] as const;
let fx: ConsoleFixture;
let ctx: WalkContext;
let page: Page;
let axeSource: string;

beforeAll(async () => {
  fx = await startConsoleFixture("layout");
  axeSource = await readFile(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");
  ctx = await fx.open({ shotPrefix: "console-layout" });
  page = ctx.page;
  // Fill every tab with what a session shows: devices, a verified command, events, a tamper result,
  // a journal with a selected call.
  const alice = await signIn(page, "layout-a@example.com");
  await signIn(page, "layout-b@example.com");
  await activate(page, alice.deviceSessionId);
  await openTab(page, "commands");
  await page.selectOption(byTestId("command-type"), "user.profile.get");
  await page.click(byTestId("command-send"));
  await page.locator(`${byTestId("response-verification")}[data-ok="true"]`).waitFor();
  await openTab(page, "events");
  await page.click(byTestId("events-subscribe"));
  await page.locator(`${byTestId("event")}[data-verified="true"]`).first().waitFor();
  await openTab(page, "tamper");
  await page.click(byTestId("tamper-bad-signature"));
  await page.locator(byTestId("tamper-result-bad-signature")).waitFor();
  await openTab(page, "inspector");
  await page.locator(`${byTestId("journal-entry")}[data-code="ok"]`).first().click();
  await openTab(page, "settings");
  await page.locator(byTestId("gateway-key-hex")).waitFor();
  // Stubs & faults: a mapping with a scenario, and a preset's fault held.
  expect((await fx.control("POST", "/emulator/v1/stubs", { id: "layout-stub", message_type: "game.layout.check", scenario: { name: "layout" } })).status).toBe(200);
  expect((await fx.control("POST", "/emulator/v1/faults", { id: "preset-slow-backend", target: "backend", latency_ms: 500 })).status).toBe(200);
  await openTab(page, "world");
  await page.locator(`${byTestId("stub-row")}[data-stub-id="layout-stub"]`).waitFor();
  await page.locator(`${byTestId("fault-row")}[data-fault-id="preset-slow-backend"]`).waitFor();
}, 180_000);

afterAll(async () => {
  await fx?.close();
});

/** What the page measures of its own layout on the open tab. */
function measure(p: Page) {
  return p.evaluate(() => {
    const root = document.documentElement;
    const pane = document.querySelector<HTMLElement>('section[role="tabpanel"]:not([hidden])')!;
    /** Line boxes a piece of text occupies: one if it is not broken. */
    const lines = (node: Text, start: number, end: number) => {
      const range = document.createRange();
      range.setStart(node, start);
      range.setEnd(node, end);
      return new Set([...range.getClientRects()].filter((r) => r.width > 0).map((r) => Math.round(r.top))).size;
    };
    const textNodes = (el: Element) => {
      const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
      const out: Text[] = [];
      while (walker.nextNode()) out.push(walker.currentNode as Text);
      return out;
    };
    const wrappedTabs = [...document.querySelectorAll('[role="tab"]')]
      .filter((tab) => textNodes(tab).some((t) => lines(t, 0, t.length) > 1))
      .map((tab) => tab.textContent);
    const brokenGroups: string[] = [];
    for (const hex of pane.querySelectorAll(".hex")) {
      for (const t of textNodes(hex)) {
        for (const m of t.data.matchAll(/[0-9a-f]+/g)) {
          if (lines(t, m.index, m.index + m[0].length) > 1) brokenGroups.push(m[0]);
        }
      }
    }
    return {
      scrollWidth: root.scrollWidth,
      clientWidth: root.clientWidth,
      wrappedTabs,
      brokenGroups,
      hexCount: pane.querySelectorAll(".hex").length,
    };
  });
}

describe("console layout and accessibility (e2e, Chromium)", () => {
  for (const width of WIDTHS) {
    it(`${width} px: no horizontal scroll on any tab, tab labels on one line, hex groups never broken`, async () => {
      await page.setViewportSize({ width, height: 900 });
      for (const tab of TABS) {
        await openTab(page, tab);
        const m = await measure(page);
        expect({ tab, width, scroll: m.scrollWidth <= m.clientWidth ? "none" : `${m.scrollWidth} > ${m.clientWidth}` }).toEqual({ tab, width, scroll: "none" });
        expect(m.wrappedTabs, `${tab} @ ${width}`).toEqual([]);
        expect(m.brokenGroups, `${tab} @ ${width}`).toEqual([]);
        if (tab === "commands" || tab === "settings") expect(m.hexCount).toBeGreaterThan(0);
        await ctx.shot(`${width}-${tab}`);
      }
    }, T);
  }

  it("axe-core: no serious or critical violation (nor a missing h1, nor an empty table header) on any tab, at 800 and 1,280 px", async () => {
    // The CSP refuses injected <script> elements; evaluated source is the page's own script.
    await page.evaluate(axeSource);
    const found: string[] = [];
    for (const width of WIDTHS) {
      await page.setViewportSize({ width, height: 900 });
      for (const tab of TABS) {
        await openTab(page, tab);
        const violations = await page.evaluate(async () => {
          const axe = (window as unknown as { axe: { run(ctx: Document, o: object): Promise<{ violations: { id: string; impact: string; nodes: { target: string[]; failureSummary: string }[] }[] }> } }).axe;
          const r = await axe.run(document, { resultTypes: ["violations"] });
          return r.violations
            // Serious and critical ones, and two the issue named whatever axe rates them.
            .filter((v) => v.impact === "serious" || v.impact === "critical" || v.id === "page-has-heading-one" || v.id === "empty-table-header")
            .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => `${n.target.join(" ")} — ${n.failureSummary.split("\n")[1] ?? ""}`).join(" | ")}`);
        });
        for (const v of violations) found.push(`${tab} @ ${width}: ${v}`);
      }
    }
    expect(found).toEqual([]);
  }, T);

  it("the tabs follow the WAI-ARIA tabs pattern: roles, aria-controls, roving tabindex, arrow keys, Home and End", async () => {
    await page.setViewportSize({ width: 1280, height: 900 });
    await openTab(page, "signin");
    // Every tab names the panel it controls, which names the tab back.
    const wiring = await page.evaluate(() =>
      [...document.querySelectorAll('[role="tablist"] [role="tab"]')].map((tab) => {
        const panel = document.getElementById(tab.getAttribute("aria-controls") ?? "");
        return {
          controlsPanel: panel?.getAttribute("role") === "tabpanel",
          labelledBack: panel?.getAttribute("aria-labelledby") === tab.id && tab.id !== "",
        };
      }),
    );
    expect(wiring).toEqual(TABS.map(() => ({ controlsPanel: true, labelledBack: true })));

    const state = () =>
      page.evaluate(() => ({
        focused: document.activeElement?.getAttribute("data-testid"),
        selected: [...document.querySelectorAll('[role="tab"][aria-selected="true"]')].map((t) => t.getAttribute("data-testid")),
        inTabOrder: [...document.querySelectorAll('[role="tab"]')].filter((t) => t.getAttribute("tabindex") !== "-1").map((t) => t.getAttribute("data-testid")),
        visiblePane: document.querySelector('section[role="tabpanel"]:not([hidden])')?.getAttribute("data-testid"),
      }));
    const at = (tab: string) => ({ focused: `tab-${tab}`, selected: [`tab-${tab}`], inTabOrder: [`tab-${tab}`], visiblePane: `pane-${tab}` });

    const first = TABS[0]!;
    const last = TABS[TABS.length - 1]!;
    const afterSignin = TABS[TABS.indexOf("signin") + 1]!;
    await page.focus(byTestId("tab-signin"));
    expect(await state()).toEqual(at("signin"));
    await page.keyboard.press("ArrowRight");
    expect(await state()).toEqual(at(afterSignin));
    await page.keyboard.press("End");
    expect(await state()).toEqual(at(last));
    await page.keyboard.press("ArrowRight"); // wraps
    expect(await state()).toEqual(at(first));
    await page.keyboard.press("ArrowLeft"); // wraps back
    expect(await state()).toEqual(at(last));
    await page.keyboard.press("Home");
    expect(await state()).toEqual(at(first));
    // Tab leaves the tab list (one stop), to the first control after it.
    await page.keyboard.press("Tab");
    expect(await page.evaluate(() => document.activeElement?.getAttribute("role"))).not.toBe("tab");
  }, T);
});
