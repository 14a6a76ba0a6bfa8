// src/cli/backend.ts as a real process: ready line, serving, SIGTERM → exit 0; bad flags → exit 2;
// the backend token from --token-file, GALAXY_BACKEND_TOKEN, or generated into <state-dir>/backend-token.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { describe, expect, it } from "vitest";
import { BACKEND_TOKEN_HEADER } from "../../src/node/backend-token.js";

const root = path.resolve(import.meta.dirname, "../..");
const cli = path.join(root, "src/cli/backend.ts");

function start(args: string[], env: Record<string, string> = {}) {
  const { GALAXY_BACKEND_TOKEN: _ignored, ...inherited } = process.env;
  // node itself (with tsx's loader), not the tsx binary: that one is a second process relaying signals.
  const child = spawn(process.execPath, ["--import", "tsx", cli, ...args], { cwd: root, stdio: ["ignore", "pipe", "pipe"], env: { ...inherited, ...env } });
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  const exited = once(child, "exit") as Promise<[number | null, NodeJS.Signals | null]>;
  return { child, exited, stderr: () => stderr };
}

/** Runs the CLI until its ready line; returns the URL, the token line (if any), and a SIGTERM stop. */
async function startReady(args: string[], env: Record<string, string> = {}) {
  const run = start(args, env);
  const lines = createInterface({ input: run.child.stdout });
  let url: string | undefined;
  let tokenFile: string | undefined;
  for await (const line of lines) {
    const token = /^Backend token in (\S+) /.exec(line);
    if (token) tokenFile = token[1];
    const match = /^Mock backend ready at (http:\/\/127\.0\.0\.1:[0-9]+)$/.exec(line);
    if (match) {
      url = match[1];
      break;
    }
  }
  expect(url, `no ready line; stderr: ${run.stderr()}`).toBeDefined();
  return {
    url: url!,
    tokenFile,
    async stop() {
      run.child.kill("SIGTERM");
      const [code, signal] = await run.exited;
      expect({ code, signal }).toEqual({ code: 0, signal: null });
    },
    kill: () => {
      if (run.child.exitCode === null && run.child.signalCode === null) run.child.kill("SIGKILL");
    },
  };
}

async function health(url: string, token?: string): Promise<number> {
  const res = await fetch(`${url}/healthz`, { headers: token ? { [BACKEND_TOKEN_HEADER]: token } : {} });
  await res.body?.cancel();
  return res.status;
}

const tempDir = () => mkdtempSync(path.join(os.tmpdir(), "gge-backend-cli-"));

describe("backend CLI", () => {
  it("without a token: generates one into <state-dir>/backend-token (0600), says where, and answers only with it", async () => {
    const stateDir = tempDir();
    const backend = await startReady(["--host", "127.0.0.1", "--port", "0", "--state-dir", stateDir]);
    try {
      expect(backend.tokenFile).toBe(path.join(stateDir, "backend-token"));
      expect(statSync(backend.tokenFile!).mode & 0o777).toBe(0o600);
      const token = readFileSync(backend.tokenFile!, "utf8").trim();
      expect(token.length).toBeGreaterThanOrEqual(43);
      expect(await health(backend.url)).toBe(401);
      expect(await health(backend.url, token)).toBe(200);
      await backend.stop();
    } finally {
      backend.kill();
    }
    // A restart with the same state folder keeps the token (gateways that know it keep working).
    const again = await startReady(["--port", "0", "--state-dir", stateDir]);
    try {
      expect(await health(again.url, readFileSync(path.join(stateDir, "backend-token"), "utf8").trim())).toBe(200);
      await again.stop();
    } finally {
      again.kill();
    }
  });

  it("without a state folder: a fresh token in a private temp folder, removed on SIGTERM", async () => {
    const backend = await startReady(["--port", "0"]);
    try {
      expect(statSync(path.dirname(backend.tokenFile!)).mode & 0o777).toBe(0o700);
      expect(await health(backend.url, readFileSync(backend.tokenFile!, "utf8").trim())).toBe(200);
      await backend.stop();
    } finally {
      backend.kill();
    }
    expect(existsSync(backend.tokenFile!)).toBe(false);
  });

  it("takes the token from --token-file, else from GALAXY_BACKEND_TOKEN, and then writes none", async () => {
    const dir = tempDir();
    const file = path.join(dir, "my-token");
    writeFileSync(file, "file-token-0123456789abcdef\n", { mode: 0o600 });
    const fromFile = await startReady(["--port", "0", "--state-dir", dir, "--token-file", file], { GALAXY_BACKEND_TOKEN: "env-token-0123456789abcdef" });
    try {
      expect(fromFile.tokenFile).toBeUndefined();
      expect(await health(fromFile.url, "env-token-0123456789abcdef")).toBe(401);
      expect(await health(fromFile.url, "file-token-0123456789abcdef")).toBe(200);
      await fromFile.stop();
    } finally {
      fromFile.kill();
    }
    const fromEnv = await startReady(["--port", "0", "--state-dir", dir], { GALAXY_BACKEND_TOKEN: "env-token-0123456789abcdef" });
    try {
      expect(await health(fromEnv.url, "env-token-0123456789abcdef")).toBe(200);
      await fromEnv.stop();
    } finally {
      fromEnv.kill();
    }
    expect(existsSync(path.join(dir, "backend-token"))).toBe(false);
  });

  it("rejects unknown flags, bad ports and unusable tokens with a message and exit code 2", async () => {
    const shortFile = path.join(tempDir(), "short");
    writeFileSync(shortFile, "short\n");
    const cases: [string[], Record<string, string>][] = [
      [["--bogus"], {}],
      [["--port", "nope"], {}],
      [["--port", "70000"], {}],
      [["extra"], {}],
      [["--token-file", shortFile], {}],
      [["--token-file", path.join(tempDir(), "missing")], {}],
      [[], { GALAXY_BACKEND_TOKEN: "too short" }],
    ];
    const runs = cases.map(([args, env]) => ({ args, ...start(args, env) }));
    for (const { args, exited, stderr } of runs) {
      const [code] = await exited;
      expect(code, args.join(" ")).toBe(2);
      expect(stderr()).toMatch(/^backend: .+\nusage: /);
    }
  });

  it("--stubs DIR loads the folder's mappings at start; a bad file stops it naming the file and the path", async () => {
    const token = "stubs-token-0123456789abcdef";
    const dir = tempDir();
    writeFileSync(path.join(dir, "shop.json"), JSON.stringify({ id: "buy", message_type: "game.shop.buy" }));
    const run = await startReady(["--port", "0", "--stubs", dir], { GALAXY_BACKEND_TOKEN: token });
    try {
      const res = await fetch(`${run.url}/emulator/v1/stubs`, { headers: { [BACKEND_TOKEN_HEADER]: token } });
      expect((await res.json()).stubs.map((s: { id: string }) => s.id)).toEqual(["buy"]);
      await run.stop();
    } finally {
      run.kill();
    }
    writeFileSync(path.join(dir, "zz-bad.json"), JSON.stringify({ message_type: "x", respond: { delay_ms: -1 } }));
    const bad = start(["--port", "0", "--stubs", dir], { GALAXY_BACKEND_TOKEN: token });
    const [code] = await bad.exited;
    expect(code).toBe(1);
    expect(bad.stderr()).toContain(`${path.join(dir, "zz-bad.json")}: $.respond.delay_ms: must be an integer 0..30000`);
  });
});
