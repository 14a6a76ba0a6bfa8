// A real redis-server (Debian's, /usr/bin/redis-server) for the cluster-mode tests: its own temp dir,
// a free loopback port, no persistence; stop() kills it, restart() brings it back on the same port with
// empty memory (as a Redis restarted without persistence).
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Redis } from "ioredis";
import { freeLoopbackPort } from "../../src/cli/redis-server.js";

export const REDIS_SERVER = "/usr/bin/redis-server";

export interface TestRedis {
  url: string;
  port: number;
  /** A plain client for inspecting keys (PTTL, KEYS); closed by stop(). */
  inspect: Redis;
  /** Kills the server (SIGKILL: as a crash) and waits for it to exit. */
  kill(): Promise<void>;
  /** Starts it again on the same port (empty). */
  restart(): Promise<void>;
  /** Kills it and removes its temp dir. */
  stop(): Promise<void>;
}

function launch(port: number, dir: string): Promise<ChildProcess> {
  const child = spawn(REDIS_SERVER, ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  return new Promise((resolve, reject) => {
    let output = "";
    child.stdout!.setEncoding("utf8").on("data", (text: string) => {
      output += text;
      if (output.includes("Ready to accept connections")) resolve(child);
    });
    child.once("exit", (code) => reject(new Error(`redis-server exited (${code}) before it was ready:\n${output}`)));
  });
}

export async function startRedis(): Promise<TestRedis> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "gge-redis-"));
  const port = await freeLoopbackPort();
  let child = await launch(port, dir);
  const url = `redis://127.0.0.1:${port}`;
  const inspect = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  inspect.on("error", () => {});
  await inspect.connect();
  const kill = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, "exit");
    child.kill("SIGKILL");
    await exited;
  };
  return {
    url,
    port,
    inspect,
    kill,
    async restart() {
      child = await launch(port, dir);
    },
    async stop() {
      inspect.disconnect();
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
