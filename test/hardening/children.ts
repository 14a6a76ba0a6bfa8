// Real child processes for the fault and shutdown tests: the mock backend CLI (what `npm run backend`
// runs), the write-loop and released-after-close fixtures, npm itself, with their output lines as
// events; and which processes are still alive (by command line) once a child is gone.
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { readdirSync, readFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { createInterface } from "node:readline";
import { readBackendTokenFile } from "../../src/node/backend-token.js";

export const ROOT = path.resolve(import.meta.dirname, "../..");

export interface Child {
  process: ChildProcess;
  /** Resolves with the first stdout line matching `pattern` (rejects if its output ends first). */
  line(pattern: RegExp): Promise<RegExpExecArray>;
  exited: Promise<[number | null, NodeJS.Signals | null]>;
  /**
   * The child exited AND its stdout/stderr closed: every process that inherited them (a wrapper's
   * own child, e.g. what `npm run` starts) has exited too.
   */
  gone: Promise<void>;
  /** Every stdout line so far. */
  lines: string[];
  stderr(): string;
  kill9(): Promise<void>;
}

/** `node --import tsx <script> ...args`: one process (the tsx CLI would add a parent to kill). */
export function spawnTs(script: string, args: string[]): Child {
  return spawnChild(process.execPath, ["--import", "tsx", path.join(ROOT, script), ...args], { label: script });
}

export interface SpawnOptions {
  /** Names the child in errors (default: the command). */
  label?: string;
  /** Added to this process's environment. */
  env?: NodeJS.ProcessEnv;
  /** Its own process group (PGID = its PID), as a shell job is: for signals to the whole group. */
  detached?: boolean;
}

/** `command ...args` in the project root, stdin ignored, stdout as lines. */
export function spawnChild(command: string, args: string[], options: SpawnOptions = {}): Child {
  const label = options.label ?? command;
  const child = spawn(command, args, {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, ...options.env },
    detached: options.detached,
  });
  let stderr = "";
  child.stderr!.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  const exited = once(child, "exit") as Promise<[number | null, NodeJS.Signals | null]>;
  const gone = once(child, "close").then(() => undefined);
  const lines = createInterface({ input: child.stdout! });
  const waiters = new Set<{ pattern: RegExp; resolve: (m: RegExpExecArray) => void }>();
  const seen: string[] = [];
  lines.on("line", (text) => {
    seen.push(text);
    for (const w of waiters) {
      const m = w.pattern.exec(text);
      if (m) {
        waiters.delete(w);
        w.resolve(m);
      }
    }
  });
  return {
    process: child,
    exited,
    gone,
    lines: seen,
    stderr: () => stderr,
    line: (pattern) =>
      new Promise<RegExpExecArray>((resolve, reject) => {
        waiters.add({ pattern, resolve });
        void gone.then(() => reject(new Error(`${label} exited (${child.exitCode ?? child.signalCode}) before printing ${pattern}: ${stderr}`)));
      }),
    async kill9() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await exited;
    },
  };
}

export interface BackendChild extends Child {
  url: string;
  port: number;
  /** The backend token it generated into (or reused from) `<stateDir>/backend-token`. */
  token: string;
}

/** The mock backend CLI on `port` (0: any) with `--state-dir`, once it printed its ready line. */
export async function startBackendChild(port: number, stateDir: string): Promise<BackendChild> {
  const child = spawnTs("src/cli/backend.ts", ["--host", "127.0.0.1", "--port", String(port), "--state-dir", stateDir]);
  const [, url] = await child.line(/^Mock backend ready at (http:\/\/127\.0\.0\.1:\d+)$/);
  const token = readBackendTokenFile(path.join(stateDir, "backend-token"));
  return { ...child, url: url!, port: Number(new URL(url!).port), token };
}

/** PIDs (other than this one) of the live processes whose command line contains `text`, e.g. a unique state dir. */
export function processesNaming(text: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^[0-9]+$/.test(entry) || Number(entry) === process.pid) continue;
    let cmdline: string;
    try {
      cmdline = readFileSync(`/proc/${entry}/cmdline`, "utf8");
    } catch {
      continue; // exited while we looked
    }
    if (cmdline.includes(text)) pids.push(Number(entry));
  }
  return pids;
}

/** SIGKILLs what `processesNaming(text)` finds: cleanup after a test whose children were left behind. */
export function killProcessesNaming(text: string): void {
  for (const pid of processesNaming(text)) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      /* already gone */
    }
  }
}

/** Runs fixtures/released-after-close.ts in `mode` (child process, --expose-gc): was the handler collected? */
export async function releasedAfterClose(mode: "listener" | "http-server"): Promise<boolean> {
  const fixture = path.join(ROOT, "test/hardening/fixtures/released-after-close.ts");
  const child = spawnChild(process.execPath, ["--expose-gc", "--import", "tsx", fixture, mode], { label: `released-after-close ${mode}` });
  const [, collected] = await child.line(/^\{"collected":(true|false)\}$/);
  await child.exited;
  return collected === "true";
}

/** What connecting to 127.0.0.1:`port` gives: "connected", or the error code (ECONNREFUSED once nothing listens). */
export function connectOutcome(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve("connected");
    });
    socket.once("error", (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
  });
}
