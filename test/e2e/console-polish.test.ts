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
import { activate, byTestId, openTab, signIn, type Pilot, type WalkContext } from "./walk.js";

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
