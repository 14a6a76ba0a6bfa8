// The headless CLI as a user runs it: a child process that prints its ready line once /healthz is
// 200, serves, and exits 0 on SIGTERM / SIGINT; bad flags exit 2 with the usage.
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { fromUtf8 } from "../../src/shared/bytes.js";
import { executeCommandRequest, verifyResponse } from "../../src/shared/sdk.js";
import { edgeClient, gatewayPublicKey, signIn, tempDir } from "../support/emulator.js";

const ROOT = path.resolve(import.meta.dirname, "../..");

function run(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): { child: ChildProcess; ready: Promise<string>; exit: Promise<{ code: number | null; stderr: string }>; stderr: () => string } {
  // What the npm script execs (test/cli/signals.test.ts goes through npm itself).
  const child = spawn(process.execPath, ["--import", "tsx", "src/cli/emulator.ts", ...args], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, GALAXY_EMULATOR_TOKEN: "", ...env },
  });
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
  return { child, ready, exit, stderr: () => stderr };
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

  it("--cors-origin (repeatable) replaces the default CORS origins", async () => {
    const { child, ready, exit } = run(["--port", "0", "--state-dir", tempDir(), "--cors-origin", "http://LOCALHOST:5173", "--cors-origin", "https://game.example"]);
    const url = await ready;
    const preflight = (origin: string) =>
      fetch(`${url}/galaxy.gateway.v1.EdgeGateway/ExecuteCommand`, {
        method: "OPTIONS",
        headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": "content-type" },
      });
    for (const origin of ["http://localhost:5173", "https://game.example"]) {
      const r = await preflight(origin);
      expect({ origin, status: r.status, grant: r.headers.get("access-control-allow-origin") }).toEqual({ origin, status: 204, grant: origin });
    }
    expect((await preflight("http://localhost:5174")).status).toBe(403); // the loopback default is replaced
    const config = await (await fetch(`${url}/emulator/v1/config`)).json();
    expect(config.cors_origins).toEqual(["http://localhost:5173", "https://game.example"]);
    child.kill("SIGTERM");
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
    [["--cors-origin", "http://localhost:5173", "--cors-origin", "localhost:5173"], '--cors-origin "localhost:5173": must be an origin'],
  ])("refuses %j with exit 2 and the usage", async (args, mention) => {
    const { exit } = run(args);
    const { code, stderr } = await exit;
    expect(code).toBe(2);
    expect(stderr).toContain(mention);
    expect(stderr).toContain("usage: npm run emulator");
  });
});

describe("--faults FILE", () => {
  function faultsFile(content: string): string {
    const file = path.join(tempDir(), "faults.json");
    writeFileSync(file, content);
    return file;
  }

  it("injects the file's faults from the start (one or an array)", async () => {
    const file = faultsFile(JSON.stringify([{ id: "slow-dispatch", target: "execute", message_type: "game.fleet.dispatch", latency_ms: 800 }, { target: "backend", status: 503, message_type: "x.y" }]));
    const { child, ready, exit } = run(["--port", "0", "--state-dir", tempDir(), "--faults", file]);
    const url = await ready;
    const { faults } = await (await fetch(`${url}/emulator/v1/faults`)).json();
    expect(faults.map((f: { id: string; target: string }) => [f.id, f.target])).toEqual([["slow-dispatch", "execute"], ["fault-1", "backend"]]);
    child.kill("SIGTERM");
    expect((await exit).code).toBe(0);
  });

  it.each([
    ["a bad fault, by its JSON path", JSON.stringify([{ target: "execute", latency_ms: 1 }, { target: "execute", latency_ms: -5 }]), "$[1].latency_ms:"],
    ["text that is not JSON", "{ target: execute }", "not JSON"],
  ])("refuses %s: exit 2 naming the file", async (_what, content, mention) => {
    const file = faultsFile(content);
    const { code, stderr } = await run(["--port", "0", "--state-dir", tempDir(), "--faults", file]).exit;
    expect(code).toBe(2);
    expect(stderr).toContain(`--faults ${file}: `);
    expect(stderr).toContain(mention);
  });
});

describe("the control-plane token and the listen address", () => {
  const SECRET = "s3cret-token-for-tests";

  async function controlPlaneStatus(url: string, token?: string): Promise<number> {
    const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
    return (await fetch(`${url}/emulator/v1/config`, { headers })).status;
  }

  function tokenFile(content: string): string {
    const file = path.join(tempDir(), "token");
    writeFileSync(file, content, { mode: 0o600 });
    return file;
  }

  it.each([
    ["--token-file", (): { args: string[]; env: NodeJS.ProcessEnv } => ({ args: ["--token-file", tokenFile(`${SECRET}\n`)], env: {} })],
    ["GALAXY_EMULATOR_TOKEN", (): { args: string[]; env: NodeJS.ProcessEnv } => ({ args: [], env: { GALAXY_EMULATOR_TOKEN: SECRET } })],
  ])("takes the token from %s, out of sight of ps, and guards the control plane with it", async (_how, source) => {
    const { args, env } = source();
    const { child, ready, exit, stderr } = run(["--port", "0", "--state-dir", tempDir(), ...args], env);
    const url = await ready;
    expect(readFileSync(`/proc/${child.pid}/cmdline`, "utf8")).not.toContain(SECRET);
    expect(await controlPlaneStatus(url)).toBe(401);
    expect(await controlPlaneStatus(url, SECRET)).toBe(200);
    expect(stderr()).not.toContain("visible to every local user");
    child.kill("SIGTERM");
    expect((await exit).code).toBe(0);
  });

  it("still takes --token, and warns that ps shows it", async () => {
    const { child, ready, exit, stderr } = run(["--port", "0", "--state-dir", tempDir(), "--token", SECRET]);
    const url = await ready;
    expect(await controlPlaneStatus(url, SECRET)).toBe(200);
    expect(stderr()).toContain("--token is visible to every local user");
    child.kill("SIGTERM");
    await exit;
  });

  it.each([
    [["--token", SECRET, "--token-file", "/dev/null"], "not both"],
    [["--token-file", "/nonexistent/token"], "cannot be read: ENOENT"],
    [["--token-file", "SHORT"], "must be 8..256 characters"],
    [["--host", "0.0.0.0"], "--insecure-no-token"],
    [["--host", "::"], "--insecure-no-token"],
  ])("refuses %j with exit 2", async (args, mention) => {
    const resolved = args.map((arg) => (arg === "SHORT" ? tokenFile("short\n") : arg));
    const { code, stderr } = await run(["--port", "0", "--state-dir", tempDir(), ...resolved]).exit;
    expect(code).toBe(2);
    expect(stderr).toContain(mention);
  });

  it("serves a non-loopback address without a token only with --insecure-no-token, and says so", async () => {
    const { child, ready, exit, stderr } = run(["--host", "0.0.0.0", "--port", "0", "--state-dir", tempDir(), "--insecure-no-token"]);
    await ready;
    expect(stderr()).toContain("--insecure-no-token: serving on 0.0.0.0 without a token");
    child.kill("SIGTERM");
    await exit;
  });

  it("warns that a token off loopback without TLS crosses the network in cleartext", async () => {
    const { child, ready, exit, stderr } = run(["--host", "0.0.0.0", "--port", "0", "--state-dir", tempDir()], { GALAXY_EMULATOR_TOKEN: SECRET });
    await ready;
    expect(stderr()).toContain("without TLS: the bearer token crosses the network in cleartext");
    child.kill("SIGTERM");
    await exit;
  });
});

describe("--stubs DIR", () => {
  function stubsDir(files: Record<string, unknown>): string {
    const dir = tempDir();
    for (const [name, content] of Object.entries(files)) writeFileSync(path.join(dir, name), JSON.stringify(content));
    return dir;
  }

  it("loads every *.json (a mapping or an array) at start; the gateway routes their types", async () => {
    const dir = stubsDir({
      "shop.json": { message_type: "game.shop.buy", respond: { payload: { ok: true } } },
      "more.json": [{ id: "inv", message_type: "game.inventory.get" }, { message_type: "game.inventory.drop" }],
      "notes.txt": "not a stub",
    });
    const { child, ready, exit } = run(["--port", "0", "--state-dir", tempDir(), "--stubs", dir]);
    const url = await ready;
    const list = await (await fetch(`${url}/emulator/v1/stubs`)).json();
    expect(list.stubs.map((s: { id: string }) => s.id).sort()).toEqual(["inv", "more-2", "shop-1"]);
    const device = await signIn(url);
    const res = await edgeClient(url).executeCommand(executeCommandRequest(device, { messageType: "game.shop.buy", payload: {} }));
    expect(verifyResponse(res, await gatewayPublicKey(url))).toEqual({ ok: true });
    expect(JSON.parse(fromUtf8(res.payloadBytes))).toEqual({ ok: true });
    child.kill("SIGTERM");
    expect((await exit).code).toBe(0);
  });

  it("stops the start at a bad file, naming it and the JSON path; nothing is applied", async () => {
    const stateDir = tempDir();
    const dir = stubsDir({
      "a-good.json": { id: "good", message_type: "game.good" },
      "b-bad.json": [{ message_type: "game.x" }, { message_type: "game.y", push: [{ event_type: "e", to: "nobody" }] }],
    });
    const { code, stderr } = await run(["--port", "0", "--state-dir", stateDir, "--stubs", dir]).exit;
    expect(code).toBe(1);
    expect(stderr).toContain(`${path.join(dir, "b-bad.json")}: $[1].push[0].to: must be "caller", "user", "all"`);
    // The good file was not applied to the persisted state either.
    const again = run(["--port", "0", "--state-dir", stateDir]);
    const url = await again.ready;
    expect((await (await fetch(`${url}/emulator/v1/stubs`)).json()).stubs).toEqual([]);
    again.child.kill("SIGTERM");
    await again.exit;
  });
});
