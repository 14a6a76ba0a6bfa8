// `npm run bench -- --redis`: cluster mode's cost, next to the in-memory figures of the same run.
//  - exec.redis: the same exec.full phase against a gateway (+ mock, one process) whose replay store,
//    buckets and revocation memory are in a private redis-server: gateway CPU per call, and Redis's;
//  - exec.cluster2: `npm run cluster -- --workers 2 --redis URL` (two gateway workers sharing the port,
//    the mock backend in the primary), the same load: calls per second with both cores serving.
// Redis is single-threaded, so its CPU per call bounds a cluster at 1e6 / redis_us_per_call calls/s
// however many gateway workers (and cores) there are: that ceiling is reported too.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { startPrivateRedis } from "../src/cli/redis-server.js";
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
      const two = await measureFull(ctx.client, clusterUrl, clusterDevices, clusterKey, ctx.phase, new CpuMeter(clusterPids));
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
