// `galaxy-gateway-emulator exec [emulator flags] -- CMD [ARGS…]` as a CI script runs it: the built bin
// (and once `npm run emulator -- exec`) as a child process, CMD a small node script. What the issue
// asks of it: CMD gets the gateway's URL, key and token and can use them; CMD's stdout is its own and
// the emulator's output goes to stderr, prefixed; exec exits with CMD's code (128+n for a signal),
// passes SIGTERM/SIGINT on to CMD, stops the emulator cleanly once CMD ends (its --export-on-exit file
// written, its port closed, no process left); a CMD that does not exist → 127.
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { connectOutcome, killProcessesNaming, processesNaming, ROOT, spawnChild, type Child } from "../hardening/children.js";
import { tempDir } from "../support/emulator.js";

/** Starting the emulator child and a node CMD takes a few seconds; tsx under npm more. */
const TEST_TIMEOUT_MS = 60_000;
const pkg = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as { bin: Record<string, string> };
const BIN = path.join(ROOT, pkg.bin["galaxy-gateway-emulator"]!);
const GATEWAY_CLIENT = path.join(ROOT, "test/cli/fixtures/gateway-client.mjs");
const WAIT_FOR_SIGNAL = path.join(ROOT, "test/cli/fixtures/wait-for-signal.mjs");
const SEED_AND_COUNT = path.join(ROOT, "test/cli/fixtures/seed-and-count.mjs");

const stateDirs: string[] = [];
afterEach(() => {
  for (const dir of stateDirs.splice(0)) killProcessesNaming(dir);
});

function newStateDir(): string {
  const dir = tempDir("gge-exec-");
  stateDirs.push(dir);
  return dir;
}

/** The bin's exec with a fresh state dir; `cmd` is what comes after `--`. */
function exec(stateDir: string, flags: string[], cmd: string[]): Child {
  return spawnChild(process.execPath, [BIN, "exec", "--state-dir", stateDir, ...flags, "--", ...cmd], { label: "exec" });
}

/** The emulator of `stateDir` is gone: its port refuses and no process naming the dir is left. */
async function expectEmulatorGone(stateDir: string, url: string): Promise<void> {
  expect(await connectOutcome(Number(new URL(url).port))).toBe("ECONNREFUSED");
  expect(processesNaming(stateDir)).toEqual([]);
}

function stderrLines(child: Child): string[] {
  return child.stderr().split("\n").filter((l) => l !== "");
}

describe("exec", () => {
  it(
    "without --state-dir, each run starts from nothing (a fresh temporary state directory) and leaves no directory behind",
    async () => {
      const tmp = newStateDir(); // the TMPDIR exec sees, so its temporary directories can be counted
      const run = async () => {
        const child = spawnChild(process.execPath, [BIN, "exec", "--", process.execPath, SEED_AND_COUNT], { label: "exec", env: { TMPDIR: tmp } });
        expect(await child.exited, child.stderr()).toEqual([0, null]);
        await child.gone;
        expect(child.lines).toHaveLength(1);
        return JSON.parse(child.lines[0]!) as { users: number; public_key: string };
      };
      const first = await run();
      const second = await run();
      expect(first.users).toBe(1);
      expect(second.users).toBe(1); // not the first run's user as well
      expect(second.public_key).not.toBe(first.public_key); // a new gateway key: nothing was kept
      expect(readdirSync(tmp).filter((name) => name.startsWith("galaxy-exec-"))).toEqual([]);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "gives CMD the gateway's URL, key and token, which it can use; stdout is CMD's alone; the emulator's output is on stderr, prefixed; exit 0",
    async () => {
      const dir = newStateDir();
      const tokenFile = path.join(dir, "token");
      writeFileSync(tokenFile, "exec-test-token-0123456789\n");
      const child = exec(dir, ["--token-file", tokenFile], [process.execPath, GATEWAY_CLIENT, "0"]);
      expect(await child.exited).toEqual([0, null]);
      await child.gone;

      expect(child.lines).toHaveLength(1);
      const seen = JSON.parse(child.lines[0]!);
      expect(seen.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(seen.url).not.toBe("http://127.0.0.1:8787"); // a free port, not the default
      expect(seen.public_key).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(seen.public_key).toBe(seen.info_key);
      expect(seen.token).toBe("exec-test-token-0123456789");
      expect(seen.control_status).toBe(200);

      const stderr = stderrLines(child);
      expect(stderr).toContain(`[emulator] Gateway emulator ready at ${seen.url}`);
      expect(stderr).toContain("[emulator] emulator: SIGTERM: shutting down");
      for (const line of stderr) expect(line).toMatch(/^\[emulator\] /);
      await expectEmulatorGone(dir, seen.url);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "exits with CMD's exit code (3), the emulator stopped",
    async () => {
      const dir = newStateDir();
      const child = exec(dir, [], [process.execPath, GATEWAY_CLIENT, "3"]);
      expect(await child.exited).toEqual([3, null]);
      await child.gone;
      const seen = JSON.parse(child.lines[0]!);
      expect(seen.token).toBe(null); // no token: none in CMD's environment
      await expectEmulatorGone(dir, seen.url);
    },
    TEST_TIMEOUT_MS,
  );

  it.each([
    ["SIGKILL", 128 + 9],
    ["SIGTERM", 128 + 15],
  ])(
    "exits 128+n when CMD dies of signal n (%s → %i)",
    async (signal, code) => {
      const dir = newStateDir();
      const child = exec(dir, [], [process.execPath, "-e", `process.kill(process.pid, "${signal}")`]);
      expect(await child.exited).toEqual([code, null]);
      await child.gone;
      expect(processesNaming(dir)).toEqual([]);
    },
    TEST_TIMEOUT_MS,
  );

  it.each(["SIGTERM", "SIGINT"] as const)(
    "passes %s on to CMD, then stops the emulator cleanly (its --export-on-exit file written)",
    async (signal) => {
      const dir = newStateDir();
      const exported = path.join(dir, "exported.json");
      const child = exec(dir, ["--export-on-exit", exported], [process.execPath, WAIT_FOR_SIGNAL]);
      const [, url] = await child.line(/^waiting at (http:\/\/127\.0\.0\.1:\d+)$/);
      child.process.kill(signal);
      expect(await child.exited).toEqual([7, null]);
      await child.gone;
      expect(child.lines).toEqual([`waiting at ${url}`, `got ${signal}`]);
      expect(stderrLines(child)).toContain(`[emulator] emulator: state exported to ${exported}`);
      expect(JSON.parse(readFileSync(exported, "utf8")).version).toBe(1);
      await expectEmulatorGone(dir, url!);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "a CMD that does not exist: a clear error and exit 127, the emulator stopped",
    async () => {
      const dir = newStateDir();
      const child = exec(dir, [], ["gge-no-such-command-9f2c"]);
      expect(await child.exited).toEqual([127, null]);
      await child.gone;
      expect(child.lines).toEqual([]);
      expect(stderrLines(child)).toContain("exec: gge-no-such-command-9f2c: command not found");
      expect(processesNaming(dir)).toEqual([]);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "without a command: usage, exit 2, no emulator started",
    async () => {
      const dir = newStateDir();
      const child = spawnChild(process.execPath, [BIN, "exec", "--state-dir", dir], { label: "exec" });
      expect(await child.exited).toEqual([2, null]);
      expect(child.stderr()).toMatch(/exec: give the command after "--"/);
      expect(existsSync(path.join(dir, "gateway-key.json"))).toBe(false);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "works as `npm run emulator -- exec …` too",
    async () => {
      const dir = newStateDir();
      const child = spawnChild("npm", ["run", "--silent", "emulator", "--", "exec", "--state-dir", dir, "--", process.execPath, GATEWAY_CLIENT, "3"], {
        label: "npm run emulator -- exec",
        env: { npm_config_update_notifier: "false" },
      });
      expect(await child.exited).toEqual([3, null]);
      await child.gone;
      const seen = JSON.parse(child.lines.at(-1)!);
      expect(seen.public_key).toBe(seen.info_key);
      await expectEmulatorGone(dir, seen.url);
    },
    TEST_TIMEOUT_MS,
  );
});
