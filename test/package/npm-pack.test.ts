// The package as its users get it: `npm pack` (of the built dist/: `npm test` builds first), the tarball
// installed into a clean temporary project with npm, then used there — the ./sdk and ./testing subpath
// exports from plain Node, their types from `tsc`, the bin, and examples/client-tests' own test suites
// (the testing kit's, and the contract tests it runs under `exec`).
// npm installs the tarball's dependencies from its cache (--prefer-offline), going to the registry only
// for what the cache lacks (the first run on a machine).
import { execFile, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { cp, mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const TSC = path.join(ROOT, "node_modules", "typescript", "bin", "tsc");
/** An install from the cache takes seconds; the first one on a machine fetches ~20 small packages. */
const INSTALL_TIMEOUT_MS = 180_000;
const T = 240_000;

let work: string;
let tarball: string;
let packedFiles: string[];
let consumer: string;

async function npmInstallTarball(dir: string): Promise<void> {
  await run("npm", ["install", tarball, "--prefer-offline", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error"], {
    cwd: dir,
    timeout: INSTALL_TIMEOUT_MS,
  });
}

beforeAll(async () => {
  for (const built of ["dist/node/sdk/index.d.ts", "dist/node/testing/index.js", "dist/node/cli/emulator.js", "dist/renderer/index.html"]) {
    if (!existsSync(path.join(ROOT, built))) throw new Error(`${built} is missing: run \`npm run build\` before this test`);
  }
  work = await mkdtemp(path.join(os.tmpdir(), "gge-pack-"));
  // --ignore-scripts: prepack would rebuild everything; `npm test` has just built it.
  const packed = await run("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", work], { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 });
  const [info] = JSON.parse(packed.stdout) as { filename: string; files: { path: string }[] }[];
  tarball = path.join(work, info!.filename);
  packedFiles = info!.files.map((f) => f.path);
  consumer = path.join(work, "consumer");
  await cp(path.join(ROOT, "test/package/fixtures/consumer"), consumer, { recursive: true });
  await npmInstallTarball(consumer);
}, T);

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe("the npm package", () => {
  it("packs the built code, its types and the console, and no sources, tests or source maps", () => {
    for (const file of [
      "package.json",
      "README.md",
      "docs/PROTOCOL.md",
      "docs/SECURITY.md",
      "dist/node/sdk/index.js",
      "dist/node/sdk/index.d.ts",
      "dist/node/testing/index.js",
      "dist/node/testing/index.d.ts",
      "dist/node/cli/emulator.js",
      "dist/renderer/index.html",
      "proto/galaxy/gateway/v1/gateway.proto",
    ]) {
      expect(packedFiles).toContain(file);
    }
    expect(packedFiles.filter((f) => /^(src|test|bench|scripts|examples)\//.test(f) || f.endsWith(".map") || /^tsconfig/.test(f))).toEqual([]);
  });

  it("installs only runtime dependencies (the console ships built: no React)", () => {
    expect(existsSync(path.join(consumer, "node_modules", "@connectrpc", "connect-web"))).toBe(true);
    expect(existsSync(path.join(consumer, "node_modules", "react"))).toBe(false);
    expect(existsSync(path.join(consumer, "node_modules", "react-dom"))).toBe(false);
  });

  it("runs the SDK and the testing kit from the installed package", async () => {
    const { stdout } = await run("node", ["use.mjs"], { cwd: consumer, timeout: 60_000 });
    expect(JSON.parse(stdout)).toEqual({ resultCode: "ok", email: "packed@example.com", journaled: 1, rejection: ["unimplemented", "unknown_message_type", "routing"] });
  }, T);

  it("resolves the subpath exports' types (tsc in the consumer project)", async () => {
    const result = await run("node", [TSC, "-p", "."], { cwd: consumer, timeout: 120_000 }).then(
      () => "ok",
      (e: { stdout: string }) => e.stdout,
    );
    expect(result).toBe("ok");
  }, T);

  it("installs a working bin that serves the packed console", async () => {
    const bin = path.join(consumer, "node_modules", ".bin", "galaxy-gateway-emulator");
    const child = spawn(bin, ["--port", "0", "--state-dir", path.join(work, "bin-state")], { stdio: ["ignore", "pipe", "pipe"] });
    const exit = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = "";
        child.stdout.on("data", (chunk: Buffer) => {
          out += chunk;
          const match = /Gateway emulator ready at (http:\/\/\S+)/.exec(out);
          if (match) resolve(match[1]!);
        });
        child.once("exit", () => reject(new Error(`the bin exited before its ready line: ${out}`)));
      });
      const page = await fetch(`${url}/`);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain("<!doctype html>");
    } finally {
      child.kill("SIGTERM");
    }
    expect(await exit).toBe(0);
  }, T);

  describe("examples/client-tests, installed from the tarball", () => {
    let example: string;
    beforeAll(async () => {
      example = path.join(work, "client-tests");
      await cp(path.join(ROOT, "examples/client-tests"), example, { recursive: true, filter: (src) => !src.includes("node_modules") });
      await npmInstallTarball(example);
    }, T);

    it("runs its own test suite on the testing kit (npm test)", async () => {
      const outcome = await run("npm", ["test"], { cwd: example, timeout: 120_000 }).then(
        (r) => r.stdout,
        (e: { stdout: string; stderr: string }) => `FAILED\n${e.stdout}\n${e.stderr}`,
      );
      expect(outcome).toMatch(/^# pass 4$/m);
      expect(outcome).toMatch(/^# fail 0$/m);
    }, T);

    it("runs its contract tests under `exec` (npm run test:exec): exit 0, the tests' output on stdout, the emulator's on stderr", async () => {
      const outcome = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
        // exec keeps the emulator's state in $XDG_STATE_HOME (the user's, by default): here, the temp dir's.
        const env = { ...process.env, XDG_STATE_HOME: path.join(work, "xdg-state") };
        const child = spawn("npm", ["run", "--silent", "test:exec"], { cwd: example, env, stdio: ["ignore", "pipe", "pipe"], timeout: 120_000 });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (chunk: Buffer) => (stdout += chunk));
        child.stderr.on("data", (chunk: Buffer) => (stderr += chunk));
        child.once("error", reject);
        child.once("close", (code) => resolve({ code, stdout, stderr }));
      });
      expect(outcome.stdout).toMatch(/^ +ok 2 - signs in and dispatches a fleet, verified against the pinned key$/m);
      expect(outcome.stdout).toMatch(/^# pass 2$/m);
      expect(outcome.stdout).toMatch(/^# fail 0$/m);
      expect(outcome.stdout).not.toContain("[emulator]");
      expect(outcome.stderr).toMatch(/^\[emulator\] Gateway emulator ready at http:\/\/127\.0\.0\.1:\d+$/m);
      expect(outcome.code).toBe(0);
    }, T);
  });
});
