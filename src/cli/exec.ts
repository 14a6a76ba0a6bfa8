// `galaxy-gateway-emulator exec [emulator flags] -- CMD [ARGS…]` (also `npm run emulator -- exec …`):
// a fresh emulator for the length of one command, as a CI step.
// - The emulator is this same CLI started as a child with the flags before `--` (plus `--port 0`, a
//   free port, unless --port is given), so every emulator flag works and is checked the usual way.
//   Its output (stdout and stderr) is copied to our stderr, each line prefixed `[emulator] `, so CMD's
//   stdout stays CMD's own. It runs in its own process group: a Ctrl-C meant for CMD does not stop the
//   emulator under CMD's feet; it stops when CMD has ended (and by itself if this process dies).
// - The emulator's state directory is a fresh temporary one, removed at the end, unless --state-dir is
//   given: each run starts from nothing (--import / --export-on-exit carry state across runs).
// - CMD inherits stdio and the environment, plus GALAXY_GATEWAY_URL, GALAXY_GATEWAY_PUBLIC_KEY (base64url,
//   the gateway's response-signing key) and GALAXY_EMULATOR_TOKEN (when the emulator has a token).
// - SIGINT/SIGTERM/SIGHUP to this process are passed on to CMD (as `npm run` does: under a terminal,
//   CMD may get a Ctrl-C twice). When CMD ends, the emulator is stopped (SIGTERM: the §5.5 drain, and
//   --export-on-exit's file), then this process exits with CMD's code, 128+n if CMD died of signal n.
// Exit codes of exec's own: 2 bad usage (or the emulator's flags refused), 1 the emulator did not start
// or did not stop cleanly (only when CMD itself succeeded: a failing CMD's code wins), 127 CMD not
// found, 126 CMD not executable (the shell's codes).
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import http from "node:http";
import https from "node:https";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import { onParentExit } from "./command-line.js";
import { CONTROL_TOKEN_RULE, TOKEN_ENV } from "./exposure.js";
import { tokenFromSources } from "./token-source.js";

export const EXEC_USAGE = `usage: galaxy-gateway-emulator exec [emulator options] -- CMD [ARGS...]
       npm run emulator -- exec [emulator options] -- CMD [ARGS...]
Starts the emulator (on a free port unless --port is given; with a fresh temporary state directory
unless --state-dir is given), runs CMD with GALAXY_GATEWAY_URL,
GALAXY_GATEWAY_PUBLIC_KEY and (with a token) ${TOKEN_ENV} set, stops the emulator when CMD ends and
exits with CMD's exit code (128+n if CMD died of signal n). The emulator's output goes to stderr,
prefixed "[emulator] ". Exit 127: CMD not found; 126: CMD not executable; 2: bad usage;
1: the emulator did not start, or did not stop cleanly after CMD succeeded.`;

const READY = /^Gateway emulator ready at (\S+)$/;
const PREFIX = "[emulator] ";
const FORWARDED_SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;
/** The gateway info call that fetches the public key: it answers at once from a ready emulator. */
const INFO_TIMEOUT_MS = 5_000;

/** Runs the whole exec; resolves with the exit code. */
export async function runExec(argv: string[]): Promise<number> {
  const split = argv.indexOf("--");
  if (split < 0 && argv.some((a) => a === "-h" || a === "--help")) {
    console.log(EXEC_USAGE);
    return 0;
  }
  if (split < 0 || split === argv.length - 1) {
    console.error(`exec: give the command after "--"\n${EXEC_USAGE}`);
    return 2;
  }
  const emulatorArgs = argv.slice(0, split);
  const [command, ...commandArgs] = argv.slice(split + 1) as [string, ...string[]];
  const flags = knownFlags(emulatorArgs);
  if (flags.port === undefined) emulatorArgs.push("--port", "0");
  // A CI step starts from nothing (as Firebase's emulators:exec does): a fresh state directory, removed
  // at the end, unless --state-dir names one to keep. --import / --export-on-exit carry state across runs.
  const scratch = flags.stateDir === undefined ? mkdtempSync(path.join(os.tmpdir(), "galaxy-exec-")) : undefined;
  if (scratch) emulatorArgs.push("--state-dir", scratch);
  try {
    return await runWithEmulator(emulatorArgs, flags, command, commandArgs);
  } finally {
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  }
}

async function runWithEmulator(emulatorArgs: string[], flags: KnownFlags, command: string, commandArgs: string[]): Promise<number> {
  // Signals are passed on from the start: one arriving while the emulator starts stops everything.
  let cmd: ChildProcess | undefined;
  let stopRequested: NodeJS.Signals | undefined;
  for (const signal of FORWARDED_SIGNALS) {
    process.on(signal, () => {
      if (cmd) cmd.kill(signal);
      else stopRequested ??= signal;
    });
  }
  onParentExit(() => (cmd ? cmd.kill("SIGTERM") : (stopRequested ??= "SIGTERM")));

  const emulator = startEmulatorChild(emulatorArgs);
  const url = await emulator.ready;
  if (url === undefined) {
    const code = await emulator.exitCode;
    console.error(`exec: the emulator did not start (exit ${code})`);
    return code === 2 ? 2 : 1;
  }
  if (stopRequested) {
    await emulator.stop();
    return 128 + os.constants.signals[stopRequested];
  }

  let publicKey: string;
  try {
    publicKey = await gatewayPublicKey(url);
  } catch (err) {
    console.error(`exec: cannot read the gateway key from ${url}: ${(err as Error).message}`);
    await emulator.stop();
    return 1;
  }
  let emulatorDied = false;
  void emulator.exitCode.then(() => {
    if (cmd && cmd.exitCode === null && cmd.signalCode === null) {
      emulatorDied = true;
      console.error("exec: the emulator stopped while the command was running");
    }
  });

  const env: NodeJS.ProcessEnv = { ...process.env, GALAXY_GATEWAY_URL: url, GALAXY_GATEWAY_PUBLIC_KEY: publicKey };
  if (flags.token !== undefined) env[TOKEN_ENV] = flags.token;
  cmd = spawn(command, commandArgs, { stdio: "inherit", env });
  const code = await commandExit(cmd, command);
  const stopped = await emulator.stop();
  if (code !== 0) return code;
  if (emulatorDied || stopped !== 0) {
    console.error(`exec: the emulator did not stop cleanly (exit ${stopped})`);
    return 1;
  }
  return 0;
}

/** The flags exec itself needs from the emulator's: --port and --state-dir (given or not), the control token. */
interface KnownFlags {
  port?: string;
  stateDir?: string;
  token?: string;
}

function knownFlags(args: string[]): KnownFlags {
  // Lenient: the emulator child checks every flag strictly and refuses bad ones (exit 2).
  const { values } = parseArgs({
    args,
    strict: false,
    allowPositionals: true,
    options: { port: { type: "string" }, "state-dir": { type: "string" }, token: { type: "string" }, "token-file": { type: "string" } },
  });
  const str = (v: unknown) => (typeof v === "string" ? v : undefined);
  let token: string | undefined;
  try {
    token = tokenFromSources({
      what: "the token",
      rule: CONTROL_TOKEN_RULE,
      file: { flag: "--token-file", path: str(values["token-file"]) },
      env: TOKEN_ENV,
      plain: { flag: "--token", value: str(values.token) },
    }).token;
  } catch {
    token = undefined; // the emulator refuses the same token with its message
  }
  return { port: str(values.port), stateDir: str(values["state-dir"]), token };
}

interface EmulatorChild {
  /** Its URL once ready; undefined if it exited first. */
  ready: Promise<string | undefined>;
  exitCode: Promise<number>;
  /** SIGTERM (a clean stop: drain, export-on-exit), then its exit code. */
  stop(): Promise<number>;
}

/** This CLI again (same node, same loader flags: tsx under `npm run emulator`), without `exec`. */
function startEmulatorChild(args: string[]): EmulatorChild {
  const child = spawn(process.execPath, [...process.execArgv, process.argv[1]!, ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  const exitCode = once(child, "exit").then(([code, signal]) =>
    typeof code === "number" ? code : 128 + (os.constants.signals[signal as NodeJS.Signals] ?? 0),
  );
  let announce: (url: string) => void;
  const announced = new Promise<string>((resolve) => (announce = resolve));
  for (const stream of [child.stdout!, child.stderr!]) {
    createInterface({ input: stream }).on("line", (line) => {
      process.stderr.write(`${PREFIX}${line}\n`);
      const ready = READY.exec(line);
      if (ready) announce(ready[1]!);
    });
  }
  return {
    ready: Promise.race([announced, exitCode.then(() => undefined)]),
    exitCode,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      return exitCode;
    },
  };
}

/** CMD's exit code, 128+n for signal n; 127 / 126 when it cannot be started. */
async function commandExit(cmd: ChildProcess, command: string): Promise<number> {
  return new Promise((resolve) => {
    cmd.once("error", (err: NodeJS.ErrnoException) => {
      if (err.code === "ENOENT") {
        console.error(`exec: ${command}: command not found`);
        resolve(127);
      } else {
        console.error(`exec: ${command}: cannot run it (${err.code ?? err.message})`);
        resolve(126);
      }
    });
    cmd.once("exit", (code, signal) => resolve(code ?? 128 + (os.constants.signals[signal!] ?? 0)));
  });
}

/** The gateway's response-signing key (base64url), from its public info endpoint. */
function gatewayPublicKey(url: string): Promise<string> {
  const target = new URL("/api/v1/public/gateway/info", url);
  return new Promise((resolve, reject) => {
    const onResponse = (res: http.IncomingMessage) => {
      let body = "";
      res.setEncoding("utf8").on("data", (d: string) => (body += d));
      res.on("end", () => {
        try {
          const key = (JSON.parse(body) as { response_signing_public_key?: unknown }).response_signing_public_key;
          if (res.statusCode !== 200 || typeof key !== "string") throw new Error(`HTTP ${res.statusCode}`);
          resolve(key);
        } catch (err) {
          reject(err as Error);
        }
      });
    };
    // Our own child, possibly on a self-signed certificate that does not name the listen address.
    const req = target.protocol === "https:" ? https.get(target, { rejectUnauthorized: false }, onResponse) : http.get(target, onResponse);
    req.setTimeout(INFO_TIMEOUT_MS, () => req.destroy(new Error("no answer")));
    req.on("error", reject);
  });
}
