// `npm run bench -- --redis`: cluster mode's cost, next to the in-memory figures of the same run.
//  - exec.redis: the same exec.full phase against a gateway (+ mock, one process) whose replay store,
//    buckets and revocation memory are in a private redis-server: gateway CPU per call, and Redis's;
//  - exec.cluster2: `npm run cluster -- --workers 2 --redis URL` (two gateway workers sharing the port,
//    the mock backend in the primary), the same load: calls per second with both cores serving.
// Redis is single-threaded, so its CPU per call bounds a cluster at 1e6 / redis_us_per_call calls/s
// however many gateway workers (and cores) there are: that ceiling is reported too, and measured
// directly with redis-benchmark on the two scripts every call runs.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { startPrivateRedis } from "../src/cli/redis-server.js";
import { TAKE } from "../src/gateway/redis/buckets.js";
import { RESERVE } from "../src/gateway/redis/replay-guard.js";
import { CpuMeter, usPerOp, type CpuReport } from "./cpu.js";
import { gatewayPublicKey, primePushStream, raiseBudgets, signInDevices } from "./devices.js";
import { measureFull, type ExecPhase } from "./exec.js";
import type { Child } from "./proc.js";

export interface RedisFigures {
  rps: number;
  p50_ms: number;
  p99_ms: number;
  gateway_us_per_call: number;
  redis_us_per_call: number;
  /** 1e6 / redis_us_per_call: where Redis's one core is full, whatever the number of gateways. */
  redis_ceiling_rps: number;
  cluster2: { rps: number; p50_ms: number; p99_ms: number; gateways_us_per_call: number; redis_us_per_call: number };
  /** redis-benchmark on the gateway's own scripts (absent without redis-benchmark). */
  scripts?: RedisCapacity;
  cpu: { redis: CpuReport; cluster2: CpuReport };
}

interface Context {
  client: Child;
  startGateway(name: string): Child;
  phase: ExecPhase;
  devices: number;
  settle(phase: string, pids: () => Record<string, number>): Promise<void>;
  log(message: string): void;
}

export interface RedisCapacity {
  /** The replay script, unique reservations. */
  replay_per_s: number;
  /** The bucket script with a call's 4 buckets. */
  buckets_per_s: number;
  /** A call runs both: 1 / (1/replay + 1/buckets). */
  calls_per_s: number;
}

const REDIS_BENCHMARK = "/usr/bin/redis-benchmark";

/**
 * Redis's own ceiling for the two scripts every call runs, with redis-benchmark (50 clients, pipelines
 * of 16, as auto-pipelining batches a busy gateway's calls): one core of Redis, whatever the gateways.
 */
export function measureRedisCapacity(url: string, requests = 100_000): RedisCapacity | undefined {
  if (!existsSync(REDIS_BENCHMARK)) return undefined;
  const { port } = new URL(url);
  const cli = (...args: string[]) => spawnSync("/usr/bin/redis-cli", ["-p", port, ...args], { encoding: "utf8" }).stdout.trim();
  const replaySha = cli("SCRIPT", "LOAD", RESERVE);
  const takeSha = cli("SCRIPT", "LOAD", TAKE);
  cli("HSET", "bench:horizon", "h", "1000", "max", "1000");
  const opsPerS = (...command: string[]) => {
    const out = spawnSync(REDIS_BENCHMARK, ["-p", port, "-n", String(requests), "-c", "50", "-P", "16", "-r", "100000000", "--csv", ...command], { encoding: "utf8" }).stdout;
    // --csv: a header line, then "name","rps",…
    const row = out.trim().split("\n").at(-1) ?? "";
    return Number(row.split(",")[1]?.replaceAll('"', ""));
  };
  const now = "2000";
  const replay = opsPerS("EVALSHA", replaySha, "2", "bench:reservations", "bench:horizon", "ds\n__rand_int__", now, now, "130000", "2000000", "2", "1500");
  const buckets = opsPerS(
    "EVALSHA", takeSha, "4",
    "bench:rl:ip:__rand_int__", "bench:rl:ds:__rand_int__", "bench:rl:u:__rand_int__", "bench:rl:mt:__rand_int__",
    now, "86400000", "200", "400", "20", "40", "40", "80", "10", "20",
  );
  cli("FLUSHALL");
  return { replay_per_s: replay, buckets_per_s: buckets, calls_per_s: 1 / (1 / replay + 1 / buckets) };
}

/** The direct children of `pid` (Linux): the cluster's gateway workers. */
function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

export async function measureRedisMode(ctx: Context): Promise<RedisFigures> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "gge-bench-redis-"));
  const redis = await startPrivateRedis(dir);
  try {
    ctx.log("redis: redis-benchmark on the replay and bucket scripts");
    const scripts = measureRedisCapacity(redis.url);
    // ---- one gateway (+ mock) in Redis mode
    const gateway = ctx.startGateway("gateway-redis");
    const { url } = await gateway.call<{ url: string }>("start", { redis: redis.url });
    await raiseBudgets(url);
    const key = await gatewayPublicKey(url);
    const devices = await signInDevices(url, ctx.devices, `redis-${Date.now()}`);
    await primePushStream(url, devices[0]!.userId);
    const pids = () => ({ orchestrator: process.pid, load_client: ctx.client.pid, gateway: gateway.pid, redis: redis.pid });
    await ctx.settle("exec.redis", pids);
    ctx.log(`exec.redis: gateway ${url} with its stores in ${redis.url}`);
    const single = await measureFull(ctx.client, url, devices, key, ctx.phase, new CpuMeter(pids));
    await gateway.stop(10_000);

    // ---- two gateway workers (npm run cluster), the same Redis
    const root = path.resolve(import.meta.dirname, "..");
    const cluster = spawn(process.execPath, ["--import", "tsx", "src/cli/cluster.ts", "--workers", "2", "--port", "0", "--redis", redis.url], {
      cwd: root,
      stdio: ["ignore", "pipe", "inherit"],
    });
    const exited = new Promise((resolve) => cluster.once("exit", resolve));
    try {
      const clusterUrl = await new Promise<string>((resolve, reject) => {
        createInterface({ input: cluster.stdout! }).on("line", (line) => {
          const ready = /^Cluster ready at (\S+)/.exec(line);
          if (ready) resolve(ready[1]!);
        });
        void exited.then(() => reject(new Error("npm run cluster exited before it was ready")));
      });
      await raiseBudgets(clusterUrl);
      const clusterKey = await gatewayPublicKey(clusterUrl);
      const clusterDevices = await signInDevices(clusterUrl, ctx.devices, `cluster-${Date.now()}`);
      await primePushStream(clusterUrl, clusterDevices[0]!.userId);
      const workers = childrenOf(cluster.pid!).filter((pid) => pid !== redis.pid);
      const clusterPids = () => ({
        orchestrator: process.pid,
        load_client: ctx.client.pid,
        cluster_primary: cluster.pid!,
        ...Object.fromEntries(workers.map((pid, i) => [`worker_${i}`, pid])),
        redis: redis.pid,
      });
      await ctx.settle("exec.cluster2", clusterPids);
      ctx.log(`exec.cluster2: 2 gateway workers on ${clusterUrl}`);
      // node:cluster hands out connections round-robin: 4 connections, 2 per worker.
      const two = await measureFull(ctx.client, clusterUrl, clusterDevices, clusterKey, { ...ctx.phase, connections: 4 }, new CpuMeter(clusterPids));
      const gatewaysUs = ["cluster_primary", ...workers.map((_, i) => `worker_${i}`)].reduce((sum, name) => sum + usPerOp(two.cpu, name, two.all_calls), 0);
      const redisUs = usPerOp(single.cpu, "redis", single.all_calls);
      return {
        rps: single.rps,
        p50_ms: single.p50_ms,
        p99_ms: single.p99_ms,
        gateway_us_per_call: usPerOp(single.cpu, "gateway", single.all_calls),
        redis_us_per_call: redisUs,
        redis_ceiling_rps: 1e6 / redisUs,
        cluster2: {
          rps: two.rps,
          p50_ms: two.p50_ms,
          p99_ms: two.p99_ms,
          gateways_us_per_call: gatewaysUs,
          redis_us_per_call: usPerOp(two.cpu, "redis", two.all_calls),
        },
        cpu: { redis: single.cpu, cluster2: two.cpu },
        ...(scripts ? { scripts } : {}),
      };
    } finally {
      cluster.kill("SIGINT");
      await exited;
    }
  } finally {
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
