// Electron binary detection (scripts/electron-binary.mjs) and `npm start`'s launcher
// (scripts/start.mjs), run on a throwaway copy of the project layout with fake binaries.
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { defaultExecutable, findElectronBinary } from "../../scripts/electron-binary.mjs";

const repo = fileURLToPath(new URL("../..", import.meta.url));

function fakeFs(files: Record<string, string>) {
  return {
    existsSync: (p: string) => path.normalize(p) in files,
    readFileSync: (p: string) => files[path.normalize(p)] ?? (() => { throw new Error(`ENOENT ${p}`); })(),
  };
}
const P = "/proj";
const pathTxt = path.join(P, "node_modules/electron/path.txt");
const distBinary = path.join(P, "node_modules/electron/dist/electron");

describe("findElectronBinary", () => {
  it("reports a missing dist (no path.txt: the install script never ran)", () => {
    const result = findElectronBinary({ projectDir: P, env: {}, fs: fakeFs({}) });
    expect(result).toEqual({ found: false, reason: expect.stringContaining("node_modules/electron/dist missing") });
  });

  it("reports a path.txt whose binary is gone", () => {
    const result = findElectronBinary({ projectDir: P, env: {}, fs: fakeFs({ [pathTxt]: "electron" }) });
    expect(result).toEqual({ found: false, reason: "node_modules/electron/dist/electron missing" });
  });

  it("finds dist/<path.txt>", () => {
    const result = findElectronBinary({ projectDir: P, env: {}, fs: fakeFs({ [pathTxt]: "electron\n", [distBinary]: "" }) });
    expect(result).toEqual({ found: true, executablePath: distBinary, source: "node_modules" });
  });

  it("honours ELECTRON_OVERRIDE_DIST_PATH, with path.txt or the platform's default name", () => {
    const env = { ELECTRON_OVERRIDE_DIST_PATH: "/opt/electron" };
    expect(findElectronBinary({ projectDir: P, env, fs: fakeFs({ [pathTxt]: "electron", "/opt/electron/electron": "" }) })).toEqual({
      found: true,
      executablePath: path.join("/opt/electron", "electron"),
      source: "override",
    });
    const mac = path.join("/opt/electron", defaultExecutable("darwin"));
    expect(findElectronBinary({ projectDir: P, env, platform: "darwin", fs: fakeFs({ [mac]: "" }) })).toMatchObject({ found: true, executablePath: mac });
    expect(findElectronBinary({ projectDir: P, env, fs: fakeFs({}) })).toEqual({
      found: false,
      reason: expect.stringContaining("ELECTRON_OVERRIDE_DIST_PATH is set but"),
    });
  });

  it("refuses a path.txt pointing outside dist", () => {
    const result = findElectronBinary({ projectDir: P, env: {}, fs: fakeFs({ [pathTxt]: "../../../bin/sh" }) });
    expect(result.found).toBe(false);
  });

  it("never loads the electron package (which would start a download)", () => {
    const source = fs.readFileSync(path.join(repo, "scripts/electron-binary.mjs"), "utf8");
    expect(source).not.toMatch(/from\s+["']electron["']|require\(\s*["']electron["']|import\(\s*["']electron["']/);
    // And on this machine it answers without throwing.
    expect(typeof findElectronBinary({ projectDir: repo }).found).toBe("boolean");
  });
});

// ---- scripts/start.mjs, end to end on a fake project -------------------------------------------

let project: string;
beforeEach(() => {
  project = fs.mkdtempSync(path.join(os.tmpdir(), "start-mjs-"));
  fs.mkdirSync(path.join(project, "scripts"));
  for (const f of ["start.mjs", "electron-binary.mjs"]) fs.copyFileSync(path.join(repo, "scripts", f), path.join(project, "scripts", f));
});
afterEach(() => fs.rmSync(project, { recursive: true, force: true }));

function writeCli(source: string) {
  fs.mkdirSync(path.join(project, "dist/node/cli"), { recursive: true });
  fs.writeFileSync(path.join(project, "dist/node/cli/emulator.js"), source);
}

function runStart(args: string[], env: Record<string, string | undefined> = {}, onStdout?: (text: string, kill: (s: NodeJS.Signals) => void) => void) {
  const childEnv: Record<string, string | undefined> = { ...process.env, ELECTRON_OVERRIDE_DIST_PATH: undefined, ...env };
  for (const k of Object.keys(childEnv)) if (childEnv[k] === undefined) delete childEnv[k];
  const child = spawn(process.execPath, [path.join(project, "scripts/start.mjs"), ...args], { env: childEnv as NodeJS.ProcessEnv });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => {
    stdout += d;
    onStdout?.(stdout, (s) => child.kill(s));
  });
  child.stderr.on("data", (d) => (stderr += d));
  return new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve) =>
    child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
}

describe("scripts/start.mjs", () => {
  it("without Electron: prints one notice line, then runs the headless CLI with the args", async () => {
    writeCli(`console.log("cli " + JSON.stringify(process.argv.slice(2))); process.exit(3);`);
    const { code, stdout } = await runStart(["--port", "0"]);
    const lines = stdout.trim().split("\n");
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^Electron binary not installed \(.+\) — starting the headless emulator; open the console URL below\.$/);
    expect(lines[1]).toBe('cli ["--port","0"]');
    expect(code).toBe(3);
  });

  it("without Electron or a build: says to build", async () => {
    const { code, stderr } = await runStart([]);
    expect(code).toBe(1);
    expect(stderr).toContain("npm run build");
  });

  it.skipIf(process.platform === "win32")("forwards SIGTERM to the CLI and exits with its code", async () => {
    writeCli(`process.on("SIGTERM", () => { console.log("child got SIGTERM"); process.exit(7); }); console.log("ready"); setInterval(() => {}, 1000);`);
    let sent = false;
    const result = await runStart([], {}, (out, kill) => {
      if (!sent && out.includes("ready")) {
        sent = true;
        kill("SIGTERM"); // to start.mjs alone, not its process group
      }
    });
    expect(result.stdout).toContain("child got SIGTERM");
    expect(result.code).toBe(7);
  });

  it.skipIf(process.platform === "win32")("dies of the same signal as its child", async () => {
    writeCli(`process.kill(process.pid, "SIGTERM");`);
    const result = await runStart([]);
    expect(result.signal).toBe("SIGTERM");
  });

  it.skipIf(process.platform === "win32")("with an Electron binary: runs `electron .` with the args, minus ELECTRON_RUN_AS_NODE", async () => {
    const dist = path.join(project, "node_modules/electron/dist");
    fs.mkdirSync(dist, { recursive: true });
    fs.writeFileSync(path.join(project, "node_modules/electron/path.txt"), "electron");
    fs.writeFileSync(path.join(dist, "electron"), `#!/bin/sh\necho "electron $* in $(pwd)"\necho "RUN_AS_NODE=\${ELECTRON_RUN_AS_NODE:-unset}"\nexit 5\n`, { mode: 0o755 });
    const result = await runStart(["--inspect-console"], { ELECTRON_RUN_AS_NODE: "1" });
    expect(result.stdout.trim().split("\n")).toEqual([`electron . --inspect-console in ${fs.realpathSync(project)}`, "RUN_AS_NODE=unset"]);
    expect(result.code).toBe(5);
  });

  it.skipIf(process.platform === "win32")("with ELECTRON_OVERRIDE_DIST_PATH: runs that binary", async () => {
    const override = path.join(project, "my-electron");
    fs.mkdirSync(override);
    fs.writeFileSync(path.join(override, "electron"), `#!/bin/sh\necho "override $*"\n`, { mode: 0o755 });
    const result = await runStart([], { ELECTRON_OVERRIDE_DIST_PATH: override });
    expect(result.stdout.trim()).toBe("override .");
    expect(result.code).toBe(0);
  });
});
