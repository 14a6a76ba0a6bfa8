// Child processes for the bench: forked with tsx, driven by request/response messages over IPC,
// and always killed at the end (SIGTERM, then SIGKILL), even when the bench fails or is interrupted.
// A child exits on its own as soon as its IPC channel closes, so none outlives the parent.
import { fork, type ChildProcess } from "node:child_process";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";

const TSX = import.meta.resolve("tsx");
const live = new Set<ChildProcess>();

interface Reply {
  id: number;
  ok: boolean;
  result?: unknown;
  error?: string;
}

export interface Child {
  readonly name: string;
  readonly pid: number;
  /** Sends a command and waits for its answer (rejects on error, exit or timeout). */
  call<T>(cmd: string, args?: unknown, timeoutMs?: number): Promise<T>;
  /** Asks the child to stop (so --cpu-prof profiles get written), then kills it if it lingers. */
  stop(graceMs?: number): Promise<void>;
}

export function startChild(name: string, script: string, options: { execArgv?: string[]; env?: Record<string, string> } = {}): Child {
  const proc = fork(fileURLToPath(new URL(script, import.meta.url)), [], {
    execArgv: ["--import", TSX, ...(options.execArgv ?? [])],
    env: { ...process.env, ...options.env },
    // A child's stdout goes to our stderr: stdout is the table and, with --json, ends with the JSON line.
    stdio: ["ignore", "pipe", "inherit", "ipc"],
  });
  proc.stdout?.pipe(process.stderr, { end: false });
  live.add(proc);
  let nextId = 1;
  const pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  let exited = false;
  const exitedPromise = new Promise<void>((resolve) =>
    proc.once("exit", (code, signal) => {
      exited = true;
      live.delete(proc);
      for (const p of pending.values()) p.reject(new Error(`${name} exited (code ${code}, signal ${signal})`));
      pending.clear();
      resolve();
    }),
  );
  proc.on("message", (raw) => {
    const reply = raw as Reply;
    const p = pending.get(reply.id);
    if (!p) return;
    pending.delete(reply.id);
    if (reply.ok) p.resolve(reply.result);
    else p.reject(new Error(`${name}: ${reply.error}`));
  });
  proc.on("error", () => {});

  return {
    name,
    pid: proc.pid ?? -1,
    call<T>(cmd: string, args?: unknown, timeoutMs = 120_000): Promise<T> {
      if (exited) return Promise.reject(new Error(`${name} is not running`));
      const id = nextId++;
      return new Promise<T>((resolve, reject) => {
        const timer = setTimeout(() => {
          pending.delete(id);
          reject(new Error(`${name}: "${cmd}" timed out after ${timeoutMs} ms`));
        }, timeoutMs);
        pending.set(id, {
          resolve: (v) => (clearTimeout(timer), resolve(v as T)),
          reject: (e) => (clearTimeout(timer), reject(e)),
        });
        proc.send({ id, cmd, args });
      });
    },
    async stop(graceMs = 5_000) {
      if (exited) return;
      try {
        await this.call("stop", undefined, graceMs);
      } catch {
        // fall through to signals
      }
      await Promise.race([exitedPromise, delay(graceMs)]);
      if (!exited) proc.kill("SIGTERM");
      await Promise.race([exitedPromise, delay(1_000)]);
      if (!exited) proc.kill("SIGKILL");
      await Promise.race([exitedPromise, delay(1_000)]);
    },
  };
}

/** Synchronous last resort (process exit, signals): SIGKILL whatever is still running. */
export function killAllChildren(): void {
  for (const proc of live) {
    try {
      proc.kill("SIGKILL");
    } catch {
      // already gone
    }
  }
  live.clear();
}

export function liveChildren(): number {
  return live.size;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

// ---- child side ----

export type Handlers = Record<string, (args: any) => unknown>;

/**
 * Serves IPC commands in a child. "stop" is built in when not given: it runs `onStop` and exits 0
 * (a normal exit, so `--cpu-prof` writes its profile). Losing the parent also ends the child.
 */
export function serveCommands(handlers: Handlers, onStop: () => Promise<void> | void = () => {}): void {
  if (!process.send) throw new Error("this module runs as a child of bench/run.ts");
  const send = (reply: Reply) => process.send?.(reply);
  const stop = async () => {
    try {
      await onStop();
    } finally {
      setImmediate(() => process.exit(0));
    }
  };
  process.on("message", async (raw) => {
    const { id, cmd, args } = raw as { id: number; cmd: string; args: unknown };
    if (cmd === "stop" && !handlers.stop) {
      send({ id, ok: true });
      await stop();
      return;
    }
    const handler = handlers[cmd];
    if (!handler) {
      send({ id, ok: false, error: `unknown command "${cmd}"` });
      return;
    }
    try {
      send({ id, ok: true, result: await handler(args) });
    } catch (err) {
      send({ id, ok: false, error: err instanceof Error ? (err.stack ?? err.message) : String(err) });
    }
  });
  process.on("disconnect", () => void stop());
  process.on("SIGTERM", () => void stop());
}

/** The probes every system-under-test child answers besides `start`: memory and event-loop use. */
export function processProbes(): Handlers {
  let lastElu = performance.eventLoopUtilization();
  return {
    stats() {
      const m = process.memoryUsage();
      return { rss: m.rss, heap_used: m.heapUsed };
    },
    /** Event-loop utilisation since the previous call (or since start): how busy the main thread was. */
    elu() {
      const now = performance.eventLoopUtilization();
      const since = performance.eventLoopUtilization(now, lastElu);
      lastElu = now;
      return { utilization: since.utilization, active_ms: since.active, idle_ms: since.idle };
    },
  };
}
