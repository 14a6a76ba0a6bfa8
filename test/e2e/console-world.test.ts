// The console's Stubs & faults tab (issue 12, "The console"), driven in Chromium against a test-owned
// emulator: a stub for a brand-new message type made in the tab answers a signed command sent from
// the Commands tab; the Inspector says which stub answered, or why none matched, and which fault was
// injected; stubs are edited and deleted; each fault preset's switch adds and removes its fault (read
// back from the gateway's GET /emulator/v1/faults each time), the outage is seen on a call, and a
// second browser sees the switches. Screenshots of the tab at 800 and 1,280 px go to test-results/.
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startConsoleFixture, type ConsoleFixture } from "./console-fixture.js";
import { byTestId, openTab, signIn, type WalkContext } from "./walk.js";

const T = 90_000;
let fx: ConsoleFixture;
let ctx: WalkContext;
let page: Page;

beforeAll(async () => {
  fx = await startConsoleFixture("world");
  ctx = await fx.open({ shotPrefix: "console-world" });
  page = ctx.page;
  // The template mapping of the editor matches this e-mail only.
  await signIn(page, "pilot@example.com");
}, 120_000);

afterAll(async () => {
  await fx?.close();
});

const stubRow = (id: string) => `${byTestId("stub-row")}[data-stub-id="${id}"]`;

/** Replaces the editor's text and saves it; the tab answers with "saved" or the refusal. */
async function saveMapping(mapping: unknown): Promise<void> {
  await page.fill(byTestId("stub-editor"), JSON.stringify(mapping, null, 2));
  await page.click(byTestId("stub-save"));
}

/** Signs and sends a command from the Commands tab (picking its type from the route list); answers its request_id. */
async function sendCommand(messageType: string, payload: unknown): Promise<string> {
  await openTab(page, "commands");
  await page.selectOption(byTestId("command-type"), messageType);
  await page.fill(byTestId("command-payload"), JSON.stringify(payload));
  const before = (await page.locator(byTestId("request-id")).count()) ? await page.textContent(byTestId("request-id")) : null;
  await page.click(byTestId("command-send"));
  await page.waitForFunction(
    ({ sel, before }) => {
      const el = document.querySelector(sel);
      return el !== null && el.textContent !== before;
    },
    { sel: byTestId("request-id"), before },
  );
  return (await page.textContent(byTestId("request-id")))!;
}

/** Opens the Inspector on the call with this request_id: its list entry and its detail view. */
async function inspect(requestId: string) {
  await openTab(page, "inspector");
  await page.fill(byTestId("journal-filter"), requestId);
  const entry = page.locator(byTestId("journal-entry")).first();
  await entry.waitFor();
  await entry.click();
  return entry;
}

async function heldFaults(): Promise<{ id: string; [k: string]: unknown }[]> {
  const { status, json } = await fx.control("GET", "/emulator/v1/faults");
  expect(status).toBe(200);
  return json.faults;
}

async function heldStubs(): Promise<{ id: string; matched_count: number }[]> {
  const { status, json } = await fx.control("GET", "/emulator/v1/stubs");
  expect(status).toBe(200);
  return json.stubs;
}

describe("Stubs & faults tab (e2e, Chromium)", () => {
  it("a stub made in the tab answers a brand-new message type; the Inspector names it, or the nearest miss", async () => {
    await openTab(page, "world");
    // The editor starts from the worked example of the issue.
    const template = JSON.parse(await page.inputValue(byTestId("stub-editor")));
    expect(template).toMatchObject({ id: "shop-buy-laser", message_type: "game.shop.buy", scenario: { name: "shop" } });

    // Not JSON: the editor says so and Save waits.
    await page.fill(byTestId("stub-editor"), "{ not json");
    await page.locator(byTestId("stub-editor-error")).waitFor();
    expect(await page.isDisabled(byTestId("stub-save"))).toBe(true);
    // JSON the mock refuses: its message, with the JSON path, next to the editor; nothing is added.
    await saveMapping({ message_type: "game.e2e.buy", push: [{ event_type: "game.e2e.done", to: "nobody" }] });
    const refusal = page.locator(byTestId("stub-error"));
    await refusal.waitFor();
    expect(await refusal.getAttribute("data-path")).toBe("$.push[0].to");
    expect(await refusal.textContent()).toContain('must be "caller", "user", "all"');
    expect(await heldStubs()).toEqual([]);

    await saveMapping({
      id: "e2e-buy",
      message_type: "game.e2e.buy",
      match: { payload: { item: "laser" } },
      respond: { payload: { item: "{{payload.item}}", order: "{{counter}}" } },
    });
    await page.locator(byTestId("stub-saved")).waitFor();
    expect(await page.locator(byTestId("stub-error")).count()).toBe(0);
    await page.locator(`${stubRow("e2e-buy")}[data-matched-count="0"]`).waitFor();
    expect(await page.textContent(stubRow("e2e-buy"))).toContain("game.e2e.buy");

    // Sent from the Commands tab, where the stubbed type is offered: a signed answer, verified.
    const matched = await sendCommand("game.e2e.buy", { item: "laser" });
    await page.locator(`${byTestId("response-verification")}[data-ok="true"]`).waitFor();
    expect(await page.textContent(byTestId("result-code"))).toBe("ok");
    expect(JSON.parse((await page.textContent(byTestId("response-payload")))!)).toEqual({ item: "laser", order: 1 });
    const entry = await inspect(matched);
    expect(await entry.locator(byTestId("journal-stub")).textContent()).toBe("answered by stub e2e-buy");
    expect(await page.textContent(byTestId("call-stub"))).toBe("answered by stub e2e-buy");

    // A payload no mapping matches: the signed business error, and the nearest miss in the Inspector.
    const missed = await sendCommand("game.e2e.buy", { item: "phaser" });
    await page.locator(`${byTestId("response-verification")}[data-ok="true"]`).waitFor();
    expect(await page.textContent(byTestId("result-code"))).toBe("stub_not_matched");
    const missEntry = await inspect(missed);
    const miss = "no stub matched: nearest e2e-buy, differs at payload.item";
    expect(await missEntry.locator(byTestId("journal-stub")).textContent()).toBe(miss);
    expect(await page.textContent(byTestId("call-stub"))).toBe(miss);
    await ctx.shot("inspector-nearest-miss");

    // The count went up by the matched call only.
    await openTab(page, "world");
    await page.locator(`${stubRow("e2e-buy")}[data-matched-count="1"]`).waitFor();
    await sendCommand("game.e2e.buy", { item: "laser" });
    await openTab(page, "world");
    await page.locator(`${stubRow("e2e-buy")}[data-matched-count="2"]`).waitFor();
    expect((await heldStubs()).find((s) => s.id === "e2e-buy")?.matched_count).toBe(2);
  }, T);

  it("edits a stub (same id replaces it) and deletes it after a confirmation click", async () => {
    await openTab(page, "world");
    await page.locator(stubRow("e2e-buy")).locator(byTestId("stub-edit")).click();
    const loaded = JSON.parse(await page.inputValue(byTestId("stub-editor")));
    expect(loaded).toMatchObject({ id: "e2e-buy", message_type: "game.e2e.buy", match: { payload: { item: "laser" } } });
    expect(loaded).not.toHaveProperty("matched_count");
    await saveMapping({ ...loaded, match: { payload: { item: "phaser" } } });
    await page.locator(byTestId("stub-saved")).waitFor();
    // Replaced: one mapping, its count started over.
    await page.locator(`${stubRow("e2e-buy")}[data-matched-count="0"]`).waitFor();
    expect(await page.locator(byTestId("stub-row")).count()).toBe(1);

    const now = await sendCommand("game.e2e.buy", { item: "phaser" });
    await page.locator(`${byTestId("response-verification")}[data-ok="true"]`).waitFor();
    expect(await page.textContent(byTestId("result-code"))).toBe("ok");
    await inspect(now);
    expect(await page.textContent(byTestId("call-stub"))).toBe("answered by stub e2e-buy");

    await openTab(page, "world");
    const remove = page.locator(stubRow("e2e-buy")).locator(byTestId("stub-delete"));
    await remove.click();
    // One click only arms it.
    expect(await remove.getAttribute("data-armed")).toBe("true");
    expect((await heldStubs()).map((s) => s.id)).toEqual(["e2e-buy"]);
    await page.locator(stubRow("e2e-buy")).locator(`${byTestId("stub-delete")}[data-armed="true"]`).click();
    await page.locator(stubRow("e2e-buy")).waitFor({ state: "detached" });
    expect(await heldStubs()).toEqual([]);
  }, T);

  it("each preset's switch adds and removes its fault on the gateway; the outage shows on a call; a second browser sees the switches", async () => {
    const expected: Record<string, Record<string, unknown>> = {
      "preset-slow-backend": { target: "backend", latency_ms: 500 },
      "preset-command-errors": { target: "execute", message_type: "user.profile.get", probability: 0.1, error: { code: "unavailable" } },
      "preset-cut-streams": { target: "subscribe", cut_after_events: 3 },
      "preset-backend-outage": { target: "backend", outage: true },
    };
    const second = await fx.open({ shotPrefix: "console-world-second" });
    await openTab(second.page, "world");
    await openTab(page, "world");
    await page.selectOption(byTestId("preset-type-preset-command-errors"), "user.profile.get");

    for (const [id, fault] of Object.entries(expected)) {
      const toggle = byTestId(`preset-switch-${id}`);
      await page.click(`${toggle}[aria-checked="false"]`);
      await page.locator(`${toggle}[aria-checked="true"]`).waitFor();
      expect((await heldFaults()).find((f) => f.id === id)).toMatchObject({ ...fault, id });
      await page.locator(`${byTestId("fault-row")}[data-fault-id="${id}"]`).waitFor();
      await second.page.locator(`${toggle}[aria-checked="true"]`).waitFor();

      if (id === "preset-backend-outage") {
        // While it is on, a command is refused by the "backend", and the Inspector says it was injected.
        const refused = await sendCommand("user.profile.get", {});
        const rejection = page.locator(byTestId("command-rejection"));
        await rejection.waitFor();
        expect({ code: await rejection.getAttribute("data-code"), reason: await rejection.getAttribute("data-reason") }).toEqual({
          code: "UNAVAILABLE",
          reason: "backend_unavailable",
        });
        const entry = await inspect(refused);
        expect(await entry.locator(byTestId("journal-fault")).textContent()).toBe("fault preset-backend-outage injected");
        expect(await page.textContent(byTestId("call-fault"))).toBe("fault preset-backend-outage injected");
        await ctx.shot("inspector-injected-fault");
        await openTab(page, "world");
      }

      await page.click(`${toggle}[aria-checked="true"]`);
      await page.locator(`${toggle}[aria-checked="false"]`).waitFor();
      expect((await heldFaults()).map((f) => f.id)).not.toContain(id);
      await second.page.locator(`${toggle}[aria-checked="false"]`).waitFor();
    }
    expect(await heldFaults()).toEqual([]);
    // The outage is over: the same command answers again.
    await sendCommand("user.profile.get", {});
    await page.locator(`${byTestId("response-verification")}[data-ok="true"]`).waitFor();
    expect(await page.textContent(byTestId("result-code"))).toBe("ok");
    await second.page.context().close();
  }, T);

  it("the template mapping and its scenario: matched, moved to Bought, reset to Started; screenshots at 800 and 1,280 px; a fault deleted from the list", async () => {
    await openTab(page, "world");
    await page.click(byTestId("stub-new"));
    await page.click(byTestId("stub-save"));
    await page.locator(stubRow("shop-buy-laser")).waitFor();
    await page.locator(`${byTestId("scenario")}[data-name="shop"][data-state="Started"]`).waitFor();

    await sendCommand("game.shop.buy", { item: "laser", qty: 2 });
    await page.locator(`${byTestId("response-verification")}[data-ok="true"]`).waitFor();
    expect(JSON.parse((await page.textContent(byTestId("response-payload")))!)).toMatchObject({ item: "laser", qty: 2 });
    await openTab(page, "world");
    await page.locator(`${byTestId("scenario")}[data-name="shop"][data-state="Bought"]`).waitFor();
    await page.locator(`${stubRow("shop-buy-laser")}[data-matched-count="1"]`).waitFor();
    await page.click(byTestId("scenarios-reset"));
    await page.locator(`${byTestId("scenario")}[data-name="shop"][data-state="Started"]`).waitFor();

    // The tab as a person sees it with a mapping, a preset on and a fault listed.
    await page.click(`${byTestId("preset-switch-preset-slow-backend")}[aria-checked="false"]`);
    await page.locator(`${byTestId("fault-row")}[data-fault-id="preset-slow-backend"]`).waitFor();
    await page.locator(stubRow("shop-buy-laser")).locator(byTestId("stub-edit")).click();
    for (const width of [800, 1280]) {
      await page.setViewportSize({ width, height: 900 });
      await ctx.shot(`${width}-stubs-and-faults`);
      const { scrollWidth, clientWidth } = await page.evaluate(() => ({ scrollWidth: document.documentElement.scrollWidth, clientWidth: document.documentElement.clientWidth }));
      expect(scrollWidth).toBeLessThanOrEqual(clientWidth);
    }
    // A fault deleted from the list is gone from the gateway, and its preset's switch is off.
    await page.locator(`${byTestId("fault-row")}[data-fault-id="preset-slow-backend"]`).locator(byTestId("fault-delete")).click();
    await page.locator(`${byTestId("preset-switch-preset-slow-backend")}[aria-checked="false"]`).waitFor();
    expect(await heldFaults()).toEqual([]);
    expect(ctx.pageErrors).toEqual([]);
    expect(ctx.cspViolations).toEqual([]);
  }, T);
});
