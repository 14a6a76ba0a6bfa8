#!/usr/bin/env node
// `npm run cluster -- --workers N [--redis URL] [--port P] [--ports] [--state-dir D] [--gateway-key F]`:
// a horizontally scaled edge on one machine. One mock backend, one Redis (a private redis-server when no
// URL is given), and N gateway processes (node:cluster) sharing the replay store, the budgets and the
// control plane through Redis and one key file; each subscribes to the backend's push stream itself.
// They share one port (node:cluster hands connections round-robin), or with --ports listen on P, P+1 …
//
// One ready line once every gateway answers. Ctrl-C (or SIGTERM/SIGHUP, or the parent dying) stops
// everything in order: the gateways first (each: push hub, then HTTP, §5.5), then the mock backend,
// then Redis. Workers ignore the terminal's signals (the primary stops them in that order) and stop by
// themselves if the primary goes away (their IPC channel closes), so nothing is left running.
import cluster from "node:cluster";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { startMockBackend } from "../backend/server.js";
import { startGateway, type RunningGateway } from "../gateway/gateway.js";
import { GatewayKey } from "../gateway/signing/gateway-key.js";
import { stateFilePath } from "../node/atomic-file.js";
import { generateBackendToken } from "../node/backend-token.js";
import { fail, parseFlags, parsePort, stopOnSignals, type CommandLine } from "./command-line.js";
import { startReaper, type Reaper } from "./reaper.js";
import { redisUrlFromSources, REDIS_URL_ENV } from "./redis-url.js";
import { freeLoopbackPort, startPrivateRedis, type PrivateRedis } from "./redis-server.js";

/** More would only contend for this machine's cores; 64 is far past any machine's worth here. */
const MAX_WORKERS = 64;

const cli: CommandLine = {
  name: "cluster",
  usage: `usage: npm run cluster -- --workers N [options]
  --workers N         gateway processes, 1..${MAX_WORKERS} (default 2)
  --redis URL         the Redis they share (default: $${REDIS_URL_ENV}, else a private redis-server on a
                      free loopback port); a password in it is visible in ps: prefer $${REDIS_URL_ENV}
  --port P            the port they share, 0 = any free port (default 8787)
  --ports             one port each instead: P, P+1, … (with --port 0: a free port each)
  --state-dir D       the gateway key and the mock backend's state (default: a temp dir, removed on exit)
  --gateway-key F     the key file the gateways share (default: gateway-key.json in the state dir)
Loopback only, no control-plane token: for other set-ups run \`npm run emulator -- --redis URL\` per instance.`,
};

const WORKER_ENV = "GALAXY_CLUSTER_WORKER";
const HOST = "127.0.0.1";

/** What the primary tells each worker (through its environment). */
interface WorkerPlan {
  index: number;
  port: number;
  stateDir: string;
  gatewayKeyFile: string;
  redis: string;
  mockBackendUrl: string;
  mockBackendToken: string;
}

type WorkerMessage = { ready: string; instance: string } | { failed: string };

if (cluster.isPrimary) await runPrimary();
else await runWorker(JSON.parse(process.env[WORKER_ENV]!) as WorkerPlan);

async function runPrimary(): Promise<void> {
  const flags = parseFlags(cli, process.argv.slice(2), {
    workers: { type: "string", default: "2" },
    redis: { type: "string" },
    port: { type: "string", default: "8787" },
    ports: { type: "boolean" },
    "state-dir": { type: "string" },
    "gateway-key": { type: "string" },
  });
  const workers = Number(flags.workers);
  if (!/^[0-9]{1,2}$/.test(flags.workers ?? "") || workers < 1 || workers > MAX_WORKERS) fail(cli, `--workers must be an integer 1..${MAX_WORKERS}, got "${flags.workers}"`);
  const port = parsePort(cli, flags.port);
  if (flags.ports && port !== 0 && port + workers - 1 > 65_535) fail(cli, `--ports needs ports ${port}..${port + workers - 1}`);
  let redisFromUser: string | undefined;
  try {
    const resolvedRedis = redisUrlFromSources(flags.redis);
    redisFromUser = resolvedRedis.url;
    for (const warning of resolvedRedis.warnings) console.error(`cluster: warning: ${warning}`);
  } catch (err) {
    fail(cli, (err as Error).message);
  }

  const stopper = stopOnSignals(cli);
  const ownStateDir = flags["state-dir"] === undefined;
  const stateDir = ownStateDir ? await mkdtemp(path.join(os.tmpdir(), "galaxy-cluster-")) : path.resolve(flags["state-dir"]!);
  const gatewayKeyFile = flags["gateway-key"] !== undefined ? path.resolve(flags["gateway-key"]) : stateFilePath(stateDir, "gateway-key.json");
  let redis: PrivateRedis | undefined;
  let redisDir: string | undefined;
  /** Stops the private redis-server and removes its folder if this process dies without stopAll (kill -9). */
  let reaper: Reaper | undefined;
  let backend: Awaited<ReturnType<typeof startMockBackend>> | undefined;
  const running = new Map<number, { exited: Promise<void> }>();
  let stopping = false;
  let started = false;

  const stopAll = async () => {
    stopping = true;
    // Gateways first (each closes its push hub before HTTP), then the backend they call, then Redis.
    for (const worker of Object.values(cluster.workers ?? {})) if (worker?.isConnected()) worker.send("stop");
    await Promise.all([...running.values()].map((w) => w.exited));
    await backend?.close();
    await redis?.stop();
    if (redisDir) await rm(redisDir, { recursive: true, force: true });
    if (ownStateDir) await rm(stateDir, { recursive: true, force: true });
    reaper?.disarm();
  };

  try {
    // Made once, before any gateway starts: N gateways finding no key at once would each make their own.
    await GatewayKey.load(stateDir, undefined, gatewayKeyFile);
    if (redisFromUser === undefined) {
      redisDir = await mkdtemp(path.join(stateDir, "redis-"));
      redis = await startPrivateRedis(redisDir);
      reaper = startReaper([redis.pid], [ownStateDir ? stateDir : redisDir]);
    }
    const redisUrl = redisFromUser ?? redis!.url;
    const token = generateBackendToken();
    backend = await startMockBackend({ host: HOST, port: 0, token, ...(ownStateDir ? {} : { stateDir: stateFilePath(stateDir, "mock-backend") }) });
    const backendUrl = backend.url;
    // --ports with port 0: a free port each, found here (in a worker, listen(0) would share the first's).
    const ports = flags.ports
      ? await Promise.all(Array.from({ length: workers }, (_, i) => (port === 0 ? freeLoopbackPort() : port + i)))
      : Array.from({ length: workers }, () => port);
    const starting = Array.from({ length: workers }, (_, index) => {
      const plan: WorkerPlan = {
        index,
        port: ports[index]!,
        stateDir,
        gatewayKeyFile,
        redis: redisUrl,
        mockBackendUrl: backendUrl,
        mockBackendToken: token,
      };
      const worker = cluster.fork({ [WORKER_ENV]: JSON.stringify(plan) });
      running.set(index, { exited: new Promise((resolve) => worker.once("exit", () => resolve())) });
      worker.once("exit", (code, signal) => {
        if (stopping || !started) return;
        console.error(`cluster: gateway ${index} exited (${signal ?? code}); stopping the cluster`);
        process.kill(process.pid, "SIGTERM");
      });
      // In node:cluster, listen(0) in every worker shares the port the first one's bind picked.
      return new Promise<string>((resolve, reject) => {
        worker.once("message", (message: WorkerMessage) =>
          "ready" in message ? resolve(message.ready) : reject(new Error(`gateway ${index} cannot start: ${message.failed}`)),
        );
        worker.once("exit", () => reject(new Error(`gateway ${index} exited during startup`)));
      });
    });
    const urls = await Promise.all(starting);
    started = true;
    const where = flags.ports ? urls.join(" ") : `${urls[0]} (${workers} gateways sharing the port)`;
    console.log(`Cluster ready at ${where}; Redis ${redisUrl}; mock backend ${backendUrl}`);
    void redis?.died.then((code) => console.error(`cluster: redis-server exited (${code}); gateways refuse signed calls until a Redis answers`));
  } catch (err) {
    console.error(`cluster: cannot start: ${err instanceof Error ? err.message : String(err)}`);
    // Wait for every worker that did start to stop, and every other one to be gone, before the rest.
    await stopAll();
    process.exit(1);
  }
  stopper.closeWith(stopAll);
}

async function runWorker(plan: WorkerPlan): Promise<void> {
  // The terminal's Ctrl-C reaches the whole process group: the primary stops the workers, in order.
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(signal, () => {});
  let gateway: RunningGateway | undefined;
  let closing: Promise<void> | undefined;
  const stop = () => {
    closing ??= (async () => {
      await gateway?.close();
      process.exit(0);
    })();
  };
  process.on("message", (message) => message === "stop" && stop());
  // The primary went away (crashed, killed): stop rather than serve on alone.
  process.on("disconnect", stop);
  try {
    gateway = await startGateway({
      host: HOST,
      port: plan.port,
      stateDir: plan.stateDir,
      gatewayKeyFile: plan.gatewayKeyFile,
      mockBackendUrl: plan.mockBackendUrl,
      mockBackendToken: plan.mockBackendToken,
      redis: plan.redis,
      gatewayId: `gateway-${plan.index}-${process.pid}`,
      onPushError: (err) => console.error(`cluster: gateway ${plan.index}: push stream: ${err instanceof Error ? err.message : String(err)}`),
      onClusterError: (err) => console.error(`cluster: gateway ${plan.index}: ${err instanceof Error ? err.message : String(err)}`),
    });
  } catch (err) {
    process.send!({ failed: err instanceof Error ? err.message : String(err) } satisfies WorkerMessage);
    process.exit(1);
  }
  process.send!({ ready: gateway.url, instance: gateway.instanceId } satisfies WorkerMessage);
}
