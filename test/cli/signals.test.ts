// Stopping a long-running process the way a CI script or a supervisor does: a signal to the PID it
// holds (`npm run emulator -- … & kill $!`), or that PID dying. For every documented entry point,
// with two live SubscribeEvents streams and a held journal long-poll: both streams end UNAVAILABLE
// gateway_shutting_down, the long-poll is answered, the port closes and no process naming the
// emulator's state dir is left. A second signal during the drain exits at once.
import http from "node:http";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { Code } from "@connectrpc/connect";
import { afterEach, describe, expect, it } from "vitest";
import { connectOutcome, killProcessesNaming, processesNaming, ROOT, spawnChild, type Child, type SpawnOptions } from "../hardening/children.js";
import { portOf, reasonOf } from "../hardening/support.js";
import { signIn, subscribe, tempDir } from "../support/emulator.js";
import { holdRequest } from "../support/held-request.js";

/** Starting an emulator child takes a few seconds (tsx compiles the sources); the whole stop is bounded by the drain. */
const TEST_TIMEOUT_MS = 60_000;
const READY = /^Gateway emulator ready at (http:\/\/127\.0\.0\.1:\d+)$/;
// npm would otherwise ask the registry whether a newer npm exists.
const NPM_ENV = { npm_config_update_notifier: "false" };

const pkg = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as { bin: Record<string, string> };
const BIN = path.join(ROOT, pkg.bin["galaxy-gateway-emulator"]!);

/** The documented ways to start the emulator, each given its flags; the returned child is the PID the user holds. */
const ENTRY_POINTS: Record<string, (args: string[], options?: SpawnOptions) => Child> = {
  "npm run emulator": (args, options) => spawnChild("npm", ["run", "emulator", "--", ...args], { label: "npm run emulator", env: NPM_ENV, ...options }),
  // `npm start` is `prestart` (the build) then `start`; --ignore-scripts skips only the build, which
  // `npm test` has done before vitest runs (building here would rewrite dist/ under other tests).
  "npm start": (args, options) => spawnChild("npm", ["start", "--ignore-scripts", "--", ...args], { label: "npm start", env: NPM_ENV, ...options }),
  // npm links the bin as an executable whose `#!/usr/bin/env node` execs node: the same single process.
  "the galaxy-gateway-emulator bin": (args, options) => spawnChild(process.execPath, [BIN, ...args], { label: "galaxy-gateway-emulator", ...options }),
};

const stateDirs: string[] = [];
const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
  for (const dir of stateDirs.splice(0)) killProcessesNaming(dir);
});

function newStateDir(): string {
  const dir = tempDir("gge-signals-");
  stateDirs.push(dir);
  return dir;
}

/** holdRequest (test/support/held-request.ts), destroyed after the test. */
async function heldRequest(port: number, method: string, requestPath: string, headers: http.OutgoingHttpHeaders = {}) {
  const request = holdRequest(port, method, requestPath, headers);
  cleanups.push(request.destroy);
  await request.held;
  return request;
}

/** A journal long-poll that nothing but shutdown answers: no entry will ever come after MAX_SAFE_INTEGER. */
function heldLongPoll(port: number) {
  return heldRequest(port, "GET", `/emulator/v1/journal?after=${Number.MAX_SAFE_INTEGER}&wait_ms=30000`);
}

/** Two SubscribeEvents streams (one device), each live: its first event, gateway.server_time, arrived. */
async function liveStreams(url: string) {
  const device = await signIn(url);
  const streams = [subscribe(url, device), subscribe(url, device)];
  for (const s of streams) cleanups.push(s.cancel);
  for (const s of streams) await s.next();
  return streams;
}

const SHUTTING_DOWN = { code: Code.Unavailable, reason: "gateway_shutting_down" };

/**
 * With two live streams and a held long-poll on the emulator `child` started, `stop` it; then every
 * observation of a clean shutdown, in §5 order, and nothing left behind.
 */
async function expectCleanStop(child: Child, stateDir: string, stop: () => void): Promise<void> {
  const [, url] = await child.line(READY);
  const port = portOf(url!);
  const longPoll = await heldLongPoll(port);
  const streams = await liveStreams(url!);

  stop();

  const endings = await Promise.all(streams.map((s) => s.ended()));
  expect(endings.map((e) => ({ code: e.code, reason: reasonOf(e) }))).toEqual([SHUTTING_DOWN, SHUTTING_DOWN]);
  expect(await longPoll.outcome).toEqual({ status: 200, body: { entries: [] } });
  await child.gone;
  expect(await connectOutcome(port)).toBe("ECONNREFUSED");
  expect(processesNaming(stateDir)).toEqual([]);
}

describe("a signal to the PID the user holds stops the emulator cleanly", () => {
  for (const [entry, start] of Object.entries(ENTRY_POINTS)) {
    it(`${entry}: SIGTERM`, { timeout: TEST_TIMEOUT_MS }, async () => {
      const stateDir = newStateDir();
      const child = start(["--port", "0", "--state-dir", stateDir]);
      await expectCleanStop(child, stateDir, () => child.process.kill("SIGTERM"));
    });
  }

  it.each(["SIGINT", "SIGHUP"] as const)("the bin: %s", { timeout: TEST_TIMEOUT_MS }, async (signal) => {
    const stateDir = newStateDir();
    const child = ENTRY_POINTS["the galaxy-gateway-emulator bin"]!(["--port", "0", "--state-dir", stateDir]);
    await expectCleanStop(child, stateDir, () => child.process.kill(signal));
  });

  it("npm run emulator: SIGINT (npm passes it on)", { timeout: TEST_TIMEOUT_MS }, async () => {
    const stateDir = newStateDir();
    const child = ENTRY_POINTS["npm run emulator"]!(["--port", "0", "--state-dir", stateDir]);
    await expectCleanStop(child, stateDir, () => child.process.kill("SIGINT"));
  });

  it("npm run emulator: Ctrl-C (SIGINT to the process group: npm and the emulator, which npm's copy reaches again)", { timeout: TEST_TIMEOUT_MS }, async () => {
    const stateDir = newStateDir();
    const child = ENTRY_POINTS["npm run emulator"]!(["--port", "0", "--state-dir", stateDir], { detached: true });
    await expectCleanStop(child, stateDir, () => process.kill(-child.process.pid!, "SIGINT"));
    expect(await child.exited).toEqual([0, null]); // a clean close, not the forced exit of a second signal
  });

  it("npm run emulator: SIGHUP (npm dies of it at once; the emulator follows its parent)", { timeout: TEST_TIMEOUT_MS }, async () => {
    const stateDir = newStateDir();
    const child = ENTRY_POINTS["npm run emulator"]!(["--port", "0", "--state-dir", stateDir]);
    await expectCleanStop(child, stateDir, () => child.process.kill("SIGHUP"));
  });

  it("the bin is executable as npm links it: its first line is a node shebang", () => {
    expect(readFileSync(BIN, "utf8").split("\n")[0]).toBe("#!/usr/bin/env node");
  });

  it("the bin: a second SIGTERM during the drain exits at once (128 + 15) without waiting for the call in flight", { timeout: TEST_TIMEOUT_MS }, async () => {
    const stateDir = newStateDir();
    // Not under an npm script (vitest's own npm_lifecycle_event is not passed on): nothing doubles a
    // signal, so the second one counts however soon it comes.
    const child = ENTRY_POINTS["the galaxy-gateway-emulator bin"]!(["--port", "0", "--state-dir", stateDir], { env: { npm_lifecycle_event: undefined } });
    const [, url] = await child.line(READY);
    const port = portOf(url!);
    // A call whose body never comes holds the drain (the gateway waits for in-flight calls).
    const inFlight = await heldRequest(port, "POST", "/galaxy.gateway.v1.EdgeGateway/ExecuteCommand", {
      "content-type": "application/proto",
      "content-length": "1000",
    });
    const [stream] = await liveStreams(url!);

    child.process.kill("SIGTERM");
    const ending = await stream!.ended(); // the first signal started the §5 order: the drain is on
    expect({ code: ending.code, reason: reasonOf(ending) }).toEqual(SHUTTING_DOWN);
    child.process.kill("SIGTERM");

    expect(await child.exited).toEqual([143, null]);
    expect(await inFlight.outcome).toHaveProperty("error");
    await child.gone;
    expect(await connectOutcome(port)).toBe("ECONNREFUSED");
    expect(processesNaming(stateDir)).toEqual([]);
  });
});

describe("npm run backend", () => {
  it("SIGTERM to npm's PID closes the mock backend and leaves nothing behind", { timeout: TEST_TIMEOUT_MS }, async () => {
    const stateDir = newStateDir();
    const child = spawnChild("npm", ["run", "backend", "--", "--port", "0", "--state-dir", stateDir], { label: "npm run backend", env: NPM_ENV });
    const [, url] = await child.line(/^Mock backend ready at (http:\/\/127\.0\.0\.1:\d+)$/);
    child.process.kill("SIGTERM");
    await child.gone;
    expect(await connectOutcome(portOf(url!))).toBe("ECONNREFUSED");
    expect(processesNaming(stateDir)).toEqual([]);
  });
});

describe("when the parent that started it dies", () => {
  it("(kill -9 of a wrapper shell) the emulator shuts down the same way and frees the port", { timeout: TEST_TIMEOUT_MS }, async () => {
    const stateDir = newStateDir();
    // `"$@"; exit` keeps sh as the emulator's parent (no exec), as a CI runner or a script would be.
    const child = spawnChild(
      "sh",
      ["-c", '"$@"; exit $?', "sh", process.execPath, "--import", "tsx", "src/cli/emulator.ts", "--port", "0", "--state-dir", stateDir],
      { label: "sh wrapper" },
    );
    await expectCleanStop(child, stateDir, () => child.process.kill("SIGKILL"));
  });

  it("(kill -9 of npm start's starter, with Electron) scripts/start.mjs asks the app to quit and exits with it", { timeout: TEST_TIMEOUT_MS }, async () => {
    const electronDir = newStateDir(); // unique: names the fake app's process
    // A stand-in for the Electron binary (ELECTRON_OVERRIDE_DIST_PATH): quits on SIGTERM, as the app does.
    writeFileSync(
      path.join(electronDir, "electron"),
      `#!/usr/bin/env node
process.on("SIGTERM", () => { console.log("fake electron: SIGTERM"); process.exit(0); });
console.log("fake electron ready");
setInterval(() => {}, 60_000);
`,
      { mode: 0o755 },
    );
    const child = spawnChild("sh", ["-c", '"$@"; exit $?', "sh", process.execPath, "scripts/start.mjs"], {
      label: "sh wrapper",
      env: { ELECTRON_OVERRIDE_DIST_PATH: electronDir },
    });
    await child.line(/^fake electron ready$/);
    child.process.kill("SIGKILL");
    await child.line(/^fake electron: SIGTERM$/);
    await child.gone;
    expect(processesNaming(electronDir)).toEqual([]);
  });
});
