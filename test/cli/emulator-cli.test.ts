// The headless CLI as a user runs it: a child process that prints its ready line once /healthz is
// 200, serves, and exits 0 on SIGTERM / SIGINT; bad flags exit 2 with the usage.
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { tempDir } from "../support/emulator.js";

const ROOT = path.resolve(import.meta.dirname, "../..");

function run(args: string[]): { child: ChildProcess; ready: Promise<string>; exit: Promise<{ code: number | null; stderr: string }> } {
  // What the npm script execs (test/cli/signals.test.ts goes through npm itself).
  const child = spawn(process.execPath, ["--import", "tsx", "src/cli/emulator.ts", ...args], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  const ready = new Promise<string>((resolve, reject) => {
    child.stdout!.on("data", (d: Buffer) => {
      stdout += d.toString();
      const match = /Gateway emulator ready at (http:\/\/\S+)/.exec(stdout);
      if (match) resolve(match[1]!);
    });
    child.once("exit", () => reject(new Error(`exited before ready: ${stderr}`)));
  });
  ready.catch(() => undefined); // observed by the tests that expect readiness; the others await `exit`
  const exit = new Promise<{ code: number | null; stderr: string }>((resolve) => child.once("exit", (code) => resolve({ code, stderr })));
  return { child, ready, exit };
}

describe("npm run emulator", () => {
  it.each(["SIGTERM", "SIGINT"] as const)("prints the ready line, serves, and exits 0 on %s", async (signal) => {
    const { child, ready, exit } = run(["--port", "0", "--state-dir", tempDir(), "--freshness-ms", "5000"]);
    const url = await ready;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const info = await (await fetch(`${url}/api/v1/public/gateway/info`)).json();
    expect(info.freshness_window_ms).toBe(5000);
    child.kill(signal);
    expect((await exit).code).toBe(0);
  });

  it("keeps the gateway key across restarts with the same state dir", async () => {
    const stateDir = tempDir();
    const keys: string[] = [];
    for (let i = 0; i < 2; i++) {
      const { child, ready, exit } = run(["--port", "0", "--state-dir", stateDir]);
      const url = await ready;
      keys.push((await (await fetch(`${url}/api/v1/public/gateway/info`)).json()).response_signing_public_key);
      child.kill("SIGTERM");
      await exit;
    }
    expect(keys[0]).toBe(keys[1]);
  });

  it.each([
    [["--port", "99999"], "--port"],
    [["--backend", "ftp://x"], "--backend"],
    [["--freshness-ms", "soon"], "--freshness-ms"],
    [["--what"], "Unknown option"],
  ])("refuses %j with exit 2 and the usage", async (args, mention) => {
    const { exit } = run(args);
    const { code, stderr } = await exit;
    expect(code).toBe(2);
    expect(stderr).toContain(mention);
    expect(stderr).toContain("usage: npm run emulator");
  });
});
