// Real child processes for the fault tests: the mock backend CLI (what `npm run backend` runs, via
// tsx) and the write-loop fixture, with their output lines as events.
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import path from "node:path";
import { createInterface } from "node:readline";
import { readBackendTokenFile } from "../../src/node/backend-token.js";

export const ROOT = path.resolve(import.meta.dirname, "../..");

export interface Child {
  process: ChildProcess;
  /** Resolves with the first stdout line matching `pattern` (rejects if the child exits first). */
  line(pattern: RegExp): Promise<RegExpExecArray>;
  exited: Promise<[number | null, NodeJS.Signals | null]>;
  /** Every stdout line so far. */
  lines: string[];
  stderr(): string;
  kill9(): Promise<void>;
}

/** `node --import tsx <script> ...args`: one process (the tsx CLI would add a parent to kill). */
export function spawnTs(script: string, args: string[]): Child {
  const child = spawn(process.execPath, ["--import", "tsx", path.join(ROOT, script), ...args], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr!.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  const exited = once(child, "exit") as Promise<[number | null, NodeJS.Signals | null]>;
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
    lines: seen,
    stderr: () => stderr,
    line: (pattern) =>
      new Promise<RegExpExecArray>((resolve, reject) => {
        waiters.add({ pattern, resolve });
        void exited.then(([code, signal]) => reject(new Error(`${script} exited (${code ?? signal}) before printing ${pattern}: ${stderr}`)));
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
  const token = await readBackendTokenFile(path.join(stateDir, "backend-token"));
  return { ...child, url: url!, port: Number(new URL(url!).port), token };
}
