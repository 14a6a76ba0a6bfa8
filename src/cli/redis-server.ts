// A private redis-server for `npm run cluster` when no --redis URL is given: Debian's redis-server on a
// free loopback port, its working dir a private temp folder, no persistence (the shared stores are
// rebuilt from nothing by design: replay-guard.ts). In its own process group, so the terminal's Ctrl-C
// does not stop it before the gateways that use it (the cluster stops it last).
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import net from "node:net";

/** Where Debian puts it; $GALAXY_REDIS_SERVER overrides. */
export const DEFAULT_REDIS_SERVER = "/usr/bin/redis-server";
/** From spawn to "Ready to accept connections": well under 100 ms here; 10 s is a redis-server that hangs. */
const REDIS_READY_TIMEOUT_MS = 10_000;

export interface PrivateRedis {
  url: string;
  pid: number;
  /** SIGTERM (redis-server shuts down cleanly), then waits for it to exit. */
  stop(): Promise<void>;
  /** Resolves if it exits on its own (not after stop()). */
  died: Promise<number | null>;
}

/** A port nothing listens on now (bound and released: another process could take it first, rarely). */
export async function freeLoopbackPort(): Promise<number> {
  const server = net.createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as net.AddressInfo;
  server.close();
  await once(server, "close");
  return port;
}

export async function startPrivateRedis(dir: string, binary = process.env.GALAXY_REDIS_SERVER || DEFAULT_REDIS_SERVER): Promise<PrivateRedis> {
  const port = await freeLoopbackPort();
  const child: ChildProcess = spawn(binary, ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir], {
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let output = "";
  let stopping = false;
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`redis-server was not ready within ${REDIS_READY_TIMEOUT_MS} ms`)), REDIS_READY_TIMEOUT_MS);
      child.once("error", (err) => {
        clearTimeout(timer);
        reject(new Error(`cannot run ${binary} (${(err as NodeJS.ErrnoException).code ?? err.message}); install redis-server or give --redis URL`));
      });
      child.stdout!.setEncoding("utf8").on("data", (text: string) => {
        output = (output + text).slice(-4_000);
        if (output.includes("Ready to accept connections")) {
          clearTimeout(timer);
          resolve();
        }
      });
      void exited.then((code) => {
        clearTimeout(timer);
        reject(new Error(`redis-server exited (${code}) before it was ready: ${output.trim().split("\n").at(-1) ?? ""}`));
      });
    });
  } catch (err) {
    child.kill("SIGKILL");
    throw err;
  }
  // Its output after startup is of no use here; keep the pipes drained so it never blocks on them.
  child.stdout!.resume();
  child.stderr!.resume();
  // Our own exit (however it comes) must not leave it running: it is in its own process group.
  const killOnExit = () => child.kill("SIGKILL");
  process.once("exit", killOnExit);
  return {
    url: `redis://127.0.0.1:${port}`,
    pid: child.pid!,
    died: exited.then((code) => (stopping ? new Promise<never>(() => {}) : code)),
    async stop() {
      stopping = true;
      process.off("exit", killOnExit);
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      await exited;
    },
  };
}
