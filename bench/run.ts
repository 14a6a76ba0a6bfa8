// `npm run bench [-- --json] [-- --quick] [-- --profile] [-- --mock-in-process] [-- --redis]`: every figure
// measured in this one run; --redis adds cluster mode's (bench/redis.ts).
// Processes: this orchestrator (crypto, control-plane setup, output); the load client (load-client.ts);
// the bare baseline server (echo-server.ts); the gateway (gateway-proc.ts) and the mock backend
// (mock-proc.ts), or both in gateway-proc.ts with --mock-in-process; the replay heap probe
// (replay-child.ts). All are killed at the end, on failure, on a signal or on timeout.
import { readFileSync } from "node:fs";
import os from "node:os";
import { CpuMeter, usPerOp, waitForQuiet } from "./cpu.js";
import { measureCrypto } from "./crypto.js";
import { primePushStream, signInDevices } from "./devices.js";
import { BARE_DEVICE, measureBare, measureFull, measurePairedCpu, type ExecPhase } from "./exec.js";
import { killAllChildren, startChild, type Child } from "./proc.js";
import { measurePush, type PushPhase } from "./push.js";
import { measureRedisMode, type RedisFigures } from "./redis.js";
import { measureReplay } from "./replay.js";
import { buildReport, formatTable, toJson, type Figures, type Quiet } from "./report.js";
import { staleBuild } from "./shipped.js";
import { startSystemUnderTest, type StartChild } from "./system-under-test.js";

const FLAGS = ["--json", "--quick", "--profile", "--mock-in-process", "--redis"];
const argv = new Set(process.argv.slice(2));
for (const arg of argv) {
  if (FLAGS.includes(arg)) continue;
  const hint = arg === "--mock-apart" ? " (the mock backend runs in its own process by default now)" : "";
  process.stderr.write(`[bench] unknown flag ${arg}${hint}; the flags are ${FLAGS.join(", ")}\n`);
  process.exit(2);
}
const stale = staleBuild();
if (stale) {
  process.stderr.write(`[bench] ${stale}\n`);
  process.exit(1);
}
const asJson = argv.has("--json");
const quick = argv.has("--quick");
const profile = argv.has("--profile");
/**
 * The mock backend inside the gateway's process, composed as `npm run emulator` composes them, instead of
 * in its own child (mock-proc.ts). Apart is the default: the target is on the gateway's CPU, and a real
 * backend never runs in the gateway's process (bench/README.md, "Issue 11").
 */
const mockInProcess = argv.has("--mock-in-process");
/** Cluster mode's figures too (a private redis-server, then `npm run cluster -- --workers 2`). */
const withRedis = argv.has("--redis");
const WATCHDOG_MS = withRedis ? 420_000 : 290_000;

const EXEC: ExecPhase = quick ? { concurrency: 64, warmupMs: 1_500, durationMs: 3_000 } : { concurrency: 64, warmupMs: 4_000, durationMs: 15_000 };
/** Before any push event was injected (see bench/README.md, finding 2): shorter. */
const EXEC_COLD: ExecPhase = quick ? { concurrency: 64, warmupMs: 1_000, durationMs: 2_000 } : { concurrency: 64, warmupMs: 2_000, durationMs: 6_000 };
/** exec.paired: short phases, bare server and gateway alternating (see measurePairedCpu). */
const PAIRED: ExecPhase = quick ? { concurrency: 64, warmupMs: 500, durationMs: 1_500 } : { concurrency: 64, warmupMs: 1_000, durationMs: 4_000 };
const PAIRED_ROUNDS = quick ? 2 : 6;
const PUSH: PushPhase = { streams: 2_000, perConnection: 200, warmupPushes: quick ? 2 : 3, pushes: quick ? 5 : 12 };
const EXEC_DEVICES = 16;
/** The gateway holds at most 8 SubscribeEvents streams per device session: 2,000 streams take 250 devices. */
const PUSH_DEVICES = 250;
/** Before each phase, wait this long at most for other work on the machine to calm down. */
const QUIET_WAIT_MS = quick ? 2_000 : 12_000;

function log(message: string): void {
  // Progress goes to stderr so that stdout is the table (and, with --json, ends with the JSON line).
  process.stderr.write(`[bench] ${message}\n`);
}

function cpuModel(): string {
  try {
    const match = /^model name\s*:\s*(.+)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"));
    if (match) return match[1]!.trim();
  } catch {
    // not Linux
  }
  return os.cpus()[0]?.model ?? "unknown";
}

async function main(): Promise<void> {
  const started = performance.now();
  const children: Child[] = [];
  const child: StartChild = (name, script, options) => {
    const c = startChild(name, script, options);
    children.push(c);
    return c;
  };
  const pidsOf = (...named: [string, Child][]) => () => ({ orchestrator: process.pid, ...Object.fromEntries(named.map(([n, c]) => [n, c.pid])) });
  const quiet: Record<string, Quiet> = {};
  const settle = async (phase: string, pids: () => Record<string, number>) => {
    quiet[phase] = await waitForQuiet(pids, QUIET_WAIT_MS);
    if (quiet[phase]!.foreign_pct >= 25) log(`  the machine is busy with other work (${Math.round(quiet[phase]!.foreign_pct)}% of a core); measuring anyway`);
  };
  try {
    await settle("crypto", pidsOf());
    log("crypto: node:crypto Ed25519 sign/verify on one core");
    const crypto = measureCrypto();

    // ---- bare baselines: connect-node with trivial handlers, same client, transport and concurrency
    const client = child("load-client", "./load-client.ts");
    const echo = child("echo-server", "./echo-server.ts");
    const bareUrls = await echo.call<{ url: string; injectUrl: string }>("start");
    const barePids = pidsOf(["load_client", client], ["echo_server", echo]);
    const bareMeter = new CpuMeter(barePids);
    await settle("exec.bare", barePids);
    log(`exec.bare: echo server ${bareUrls.url}, ${EXEC.concurrency} concurrent`);
    const bare = await measureBare(client, bareUrls.url, [BARE_DEVICE], EXEC, bareMeter);
    await settle("push.bare", barePids);
    log(`push.bare: ${PUSH.streams} streams on the bare server`);
    const barePush = await measurePush(client, { url: bareUrls.url, injectUrl: bareUrls.injectUrl, devices: [BARE_DEVICE] }, PUSH, bareMeter);
    // The echo server stays up (idle) until exec.paired is done.

    // ---- the gateway + mock backend
    const { url, key, gateway, mock } = await startSystemUnderTest(child, { mockInProcess, profile });
    const execDevices = await signInDevices(url, EXEC_DEVICES, `exec-${Date.now()}`);
    const pushDevices = await signInDevices(url, PUSH_DEVICES, `push-${Date.now()}`, true);
    const pids = mock ? pidsOf(["load_client", client], ["gateway", gateway], ["mock", mock]) : pidsOf(["load_client", client], ["gateway", gateway]);
    const meter = new CpuMeter(pids);

    await settle("exec.cold", pids);
    log(`exec.cold: gateway ${url}, before the backend push stream has carried an event`);
    const cold = await measureFull(client, url, execDevices, key, EXEC_COLD, meter);
    await primePushStream(url, execDevices[0]!.userId);
    await settle("exec.full", pids);
    log(`exec.full: ${EXEC.concurrency} concurrent over ${EXEC_DEVICES} devices, push stream primed`);
    const full = await measureFull(client, url, execDevices, key, EXEC, meter, () => gateway.call<{ active_ms: number; idle_ms: number }>("elu"));

    await settle("exec.paired", pids);
    log(`exec.paired: a warm-up pair, then ${PAIRED_ROUNDS} rounds of ${PAIRED.durationMs / 1000} s, bare server and gateway alternating`);
    const paired = await measurePairedCpu(
      PAIRED_ROUNDS,
      () => measureBare(client, bareUrls.url, [BARE_DEVICE], PAIRED, bareMeter),
      () => measureFull(client, url, execDevices, key, PAIRED, meter),
    );
    await echo.stop();

    await settle("push", pids);
    log(`push: ${PUSH.streams} SubscribeEvents streams, ${PUSH.pushes} timed pushes`);
    const push = await measurePush(client, { url, injectUrl: url, devices: pushDevices, gatewayKey: key }, PUSH, meter);

    const gatewayStats = await gateway.call<{ rss: number }>("stats");
    const clientStats = await client.call<{ rss: number }>("stats");
    await gateway.stop(10_000);
    await mock?.stop();
    let redis: RedisFigures | undefined;
    if (withRedis) {
      redis = await measureRedisMode({ client, startGateway: (name) => child(name, "./gateway-proc.ts"), phase: EXEC, devices: EXEC_DEVICES, settle, log });
    }
    await client.stop();

    log("replay: ReplayStore heap at 1,000,000 reservations (--expose-gc child)");
    const replay = await measureReplay();

    const figures: Figures = {
      machine: { nproc: os.availableParallelism(), node: process.version, cpu_model: cpuModel(), platform: `${os.platform()} ${os.arch()}` },
      layout:
        (mockInProcess
          ? "gateway + mock backend in one child process (src/emulator/start.ts)"
          : "gateway alone in one child process, the mock backend in another (bench/mock-proc.ts, reached over loopback HTTP as a real backend)") +
        "; load generated by another child process (bench/load-client.ts); bare baselines in their own child (bench/echo-server.ts); crypto in the orchestrator, alone",
      mock_in_gateway_process: mockInProcess,
      crypto,
      exec: {
        concurrency: EXEC.concurrency,
        bare_rps: bare.rps,
        bare_p50_ms: bare.p50_ms,
        bare_p99_ms: bare.p99_ms,
        full_rps: full.rps,
        p50_ms: full.p50_ms,
        p90_ms: full.p90_ms,
        p99_ms: full.p99_ms,
        requests: full.requests,
        cold_rps: cold.rps,
        cold_p50_ms: cold.p50_ms,
        cold_p99_ms: cold.p99_ms,
        bare_server_us_per_call: usPerOp(bare.cpu, "echo_server", bare.all_calls),
        cold_gateway_us_per_call: usPerOp(cold.cpu, "gateway", cold.all_calls),
        gateway_us_per_call: usPerOp(full.cpu, "gateway", full.all_calls),
        ...(mock ? { mock_us_per_call: usPerOp(full.cpu, "mock", full.all_calls) } : {}),
        paired_cpu: paired,
        gateway_elu: full.server_elu ?? Number.NaN,
        client_elu: full.client_elu,
        cpu: { bare: bare.cpu, cold: cold.cpu, full: full.cpu },
      },
      push: {
        streams: push.streams,
        connections: push.connections,
        pushes: push.pushes,
        delivered: push.delivered,
        missing: push.missing,
        stray_events: push.stray_events,
        delivered_per_s: push.delivered_per_s,
        p50_ms: push.p50_ms,
        p99_ms: push.p99_ms,
        fanout_ms: push.fanout_ms,
        bare_delivered_per_s: barePush.delivered_per_s,
        bare_p99_ms: barePush.p99_ms,
        bare_server_us_per_delivery: usPerOp(barePush.cpu, "echo_server", barePush.all_delivered),
        gateway_us_per_delivery: usPerOp(push.cpu, "gateway", push.all_delivered),
        client_us_per_delivery: usPerOp(push.cpu, "load_client", push.all_delivered),
        cpu: { bare: barePush.cpu, full: push.cpu },
      },
      replay: { entries: replay.entries, bytes_per_entry: replay.bytes_per_entry },
      ...(redis ? { redis } : {}),
      rss_mb: gatewayStats.rss / 2 ** 20,
      load_client_rss_mb: clientStats.rss / 2 ** 20,
      quiet,
      duration_s: (performance.now() - started) / 1000,
    };
    const report = buildReport(figures);
    process.stdout.write(formatTable(report) + "\n");
    if (full.signed_during_run > 0) log(`note: the pre-signed pool ran out; ${full.signed_during_run} requests were signed during the timed run`);
    if (profile) log(`CPU profile of the gateway process${mockInProcess ? "" : " and of the mock backend's"} written to bench/profiles/`);
    if (asJson) process.stdout.write(toJson(report) + "\n");
  } finally {
    await Promise.all(children.map((c) => c.stop(profile ? 10_000 : 3_000)));
    killAllChildren();
  }
}

const watchdog = setTimeout(() => {
  log(`timed out after ${WATCHDOG_MS / 1000} s`);
  killAllChildren();
  process.exit(2);
}, WATCHDOG_MS);
watchdog.unref();

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    killAllChildren();
    process.exit(130);
  });
}
process.on("exit", killAllChildren);

main().then(
  () => {
    clearTimeout(watchdog);
    process.exit(0);
  },
  (err: unknown) => {
    log(`failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    killAllChildren();
    process.exit(1);
  },
);
