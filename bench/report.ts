// The bench's output: the figures, their ratios and the targets as PASS/MISS, as a readable table
// and as one JSON object.
import type { CpuReport } from "./cpu.js";
import type { PairedCpu } from "./exec.js";
import type { RedisFigures } from "./redis.js";
import { round } from "./stats.js";

export interface Quiet {
  waited_ms: number;
  foreign_pct: number;
}

export interface Figures {
  machine: { nproc: number; node: string; cpu_model: string; platform: string };
  layout: string;
  /** `--mock-in-process`: the mock backend runs in the gateway's process, so its CPU counts as the gateway's. */
  mock_in_gateway_process: boolean;
  crypto: { verify_per_s: number; sign_per_s: number; limit_rps: number; engine: { name: string; verify_per_s: number; sign_per_s: number } };
  exec: {
    concurrency: number;
    bare_rps: number;
    bare_p50_ms: number;
    bare_p99_ms: number;
    full_rps: number;
    p50_ms: number;
    p90_ms: number;
    p99_ms: number;
    requests: number;
    cold_rps: number;
    cold_p50_ms: number;
    cold_p99_ms: number;
    bare_server_us_per_call: number;
    cold_gateway_us_per_call: number;
    gateway_us_per_call: number;
    /** exec.full: the mock backend's process (only when it runs apart from the gateway's). */
    mock_us_per_call?: number;
    /** exec.paired: short bare/gateway pairs back to back; the target is checked on their median ratio. */
    paired_cpu: PairedCpu;
    /** Event-loop utilisation over the exec.full timed run: gateway process, load client. */
    gateway_elu: number;
    client_elu: number;
    cpu: { bare: CpuReport; cold: CpuReport; full: CpuReport };
  };
  push: {
    streams: number;
    connections: number;
    pushes: number;
    delivered: number;
    missing: number;
    /** Duplicates or events no push explains (the phase fails on any). */
    stray_events: number;
    delivered_per_s: number;
    p50_ms: number;
    p99_ms: number;
    fanout_ms: number;
    bare_delivered_per_s: number;
    bare_p99_ms: number;
    bare_server_us_per_delivery: number;
    gateway_us_per_delivery: number;
    /** The load client's CPU per delivery (reading and checking the streams). */
    client_us_per_delivery: number;
    cpu: { bare: CpuReport; full: CpuReport };
  };
  replay: { entries: number; bytes_per_entry: number };
  /** `--redis` only: cluster mode (bench/redis.ts). */
  redis?: RedisFigures;
  rss_mb: number;
  load_client_rss_mb: number;
  /** Per phase: how long the bench waited for the machine to calm down, and the other load it saw. */
  quiet: Record<string, Quiet>;
  duration_s: number;
}

export interface Target {
  name: string;
  value: number;
  bound: number;
  op: "≥" | "≤";
  pass: boolean;
  /** Printed after the verdict: what the reader needs beside it. */
  note?: string;
}

export interface Report extends Figures {
  ratios: {
    exec_full_over_min_bare_limit: number;
    push_delivered_over_sign: number;
    /** The same two ratios from CPU time per operation (insensitive to other load on the machine). */
    cpu_exec_full_over_min_bare_limit: number;
    cpu_push_delivered_over_sign: number;
    /** The bare connect-node stream (nothing signed) against the sign rate: the framework's ceiling. */
    push_bare_over_sign: number;
    /** CPU per ExecuteCommand: the gateway process's (exec.full) ÷ the bare server's (exec.bare). */
    exec_gateway_cpu_over_bare_cpu: number;
    /** The same, as the median over exec.paired's back-to-back pairs: the figure the target checks. */
    exec_paired_cpu_ratio: number;
  };
  targets: Target[];
}

/**
 * Gateway CPU per ExecuteCommand at most this many times the bare server's. CPU per call hardly
 * depends on other work on the machine, unlike calls per second: this keeps exec.full_rps's target
 * passing with a margin on a noisy machine. Set by issue 11, when it was 2.8. It is checked on the
 * gateway's process with the mock backend in its own (the default layout): the mock's work is the
 * backend's, which never runs in a deployed gateway's process; the table shows it beside the target.
 */
export const EXEC_CPU_RATIO_TARGET = 2.5;

export function buildReport(f: Figures): Report {
  const execBound = Math.min(f.exec.bare_rps, f.crypto.limit_rps);
  const cpuRatio = f.exec.gateway_us_per_call / f.exec.bare_server_us_per_call;
  const pairedRatio = f.exec.paired_cpu.median_ratio;
  const targets: Target[] = [
    target("exec.full_rps ≥ 0.5 × min(exec.bare_rps, crypto.limit_rps)", f.exec.full_rps, "≥", 0.5 * execBound),
    target(
      `exec CPU per call: ${f.mock_in_gateway_process ? "gateway + mock backend (one process)" : "gateway"} ≤ ${EXEC_CPU_RATIO_TARGET} × bare server (median ratio of exec.paired)`,
      pairedRatio,
      "≤",
      EXEC_CPU_RATIO_TARGET,
      f.exec.paired_cpu.median_ratio_with_mock === undefined ? undefined : `with the mock backend's CPU added: ${fmt(f.exec.paired_cpu.median_ratio_with_mock, 2)}`,
    ),
    target("exec.p99_ms ≤ 5 × exec.p50_ms", f.exec.p99_ms, "≤", 5 * f.exec.p50_ms),
    target("push.delivered_per_s ≥ 0.5 × crypto.sign_per_s", f.push.delivered_per_s, "≥", 0.5 * f.crypto.sign_per_s),
    target("replay.bytes_per_entry ≤ 200", f.replay.bytes_per_entry, "≤", 200),
  ];
  // One core's worth of CPU: calls (deliveries) per second if the process had a core to itself.
  const perCore = (us: number) => 1e6 / us;
  return {
    ...f,
    ratios: {
      exec_full_over_min_bare_limit: f.exec.full_rps / execBound,
      push_delivered_over_sign: f.push.delivered_per_s / f.crypto.sign_per_s,
      // exec.full's calls cost the mock backend's CPU too, on the same cores, wherever it runs.
      cpu_exec_full_over_min_bare_limit:
        perCore(f.exec.gateway_us_per_call + (f.exec.mock_us_per_call ?? 0)) / Math.min(perCore(f.exec.bare_server_us_per_call), f.crypto.limit_rps),
      cpu_push_delivered_over_sign: perCore(f.push.gateway_us_per_delivery) / f.crypto.sign_per_s,
      push_bare_over_sign: f.push.bare_delivered_per_s / f.crypto.sign_per_s,
      exec_gateway_cpu_over_bare_cpu: cpuRatio,
      exec_paired_cpu_ratio: pairedRatio,
    },
    targets,
  };
}

/** What the gateway's process holds: the mock backend too with --mock-in-process. */
function gatewayProcess(f: Figures): string {
  return f.mock_in_gateway_process ? "gateway + mock" : "gateway";
}

function target(name: string, value: number, op: "≥" | "≤", bound: number, note?: string): Target {
  return { name, value, bound, op, pass: op === "≥" ? value >= bound : value <= bound, ...(note ? { note } : {}) };
}

function fmt(n: number, digits = 0): string {
  if (!Number.isFinite(n)) return String(n);
  return round(n, digits).toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

type Row = [string, string, string];

function table(rows: Row[]): string[] {
  const w0 = Math.max(...rows.map((row) => row[0].length));
  const w1 = Math.max(...rows.map((row) => row[1].length));
  return rows.map(([a, b, c]) => `  ${a.padEnd(w0)}  ${b.padStart(w1)}  ${c}`.trimEnd());
}

function cpuLine(c: CpuReport): string {
  const parts = Object.entries(c.processes).map(([name, pct]) => `${name} ${fmt(pct)}%`);
  const top = c.foreign_top.length > 0 ? ` (${c.foreign_top.join(", ")})` : "";
  return `${parts.join(", ")}; other work on the machine ${fmt(c.foreign_pct)}%${top}`;
}

export function formatTable(r: Report): string {
  const m = r.machine;
  const figures: Row[] = [
    ["crypto.verify_per_s", fmt(r.crypto.verify_per_s), "node:crypto Ed25519 verify, one core"],
    ["crypto.sign_per_s", fmt(r.crypto.sign_per_s), "node:crypto Ed25519 sign, one core"],
    ["crypto.limit_rps", fmt(r.crypto.limit_rps), "1 / (1/verify + 1/sign)"],
    ["exec.bare_rps", fmt(r.exec.bare_rps), `echo server, Connect over h2c, ${r.exec.concurrency} concurrent (p50 ${fmt(r.exec.bare_p50_ms, 1)} ms, p99 ${fmt(r.exec.bare_p99_ms, 1)} ms)`],
    ["exec.full_rps", fmt(r.exec.full_rps), `all stages + mock backend + signed answer, ${r.exec.concurrency} concurrent, ${fmt(r.exec.requests)} calls`],
    ["exec.p50_ms", fmt(r.exec.p50_ms, 2), ""],
    ["exec.p99_ms", fmt(r.exec.p99_ms, 2), `(p90 ${fmt(r.exec.p90_ms, 2)} ms)`],
    ["push.delivered_per_s", fmt(r.push.delivered_per_s), `${r.push.pushes} pushes × ${fmt(r.push.streams)} streams on ${r.push.connections} h2 connections, ${r.push.missing} missing, ${r.push.stray_events} stray`],
    ["push.p99_ms", fmt(r.push.p99_ms, 2), `injection → receipt (p50 ${fmt(r.push.p50_ms, 1)} ms; mean fan-out ${fmt(r.push.fanout_ms, 1)} ms per push)`],
    ["replay.bytes_per_entry", fmt(r.replay.bytes_per_entry, 1), `ReplayStore heap per reservation at ${fmt(r.replay.entries)} entries`],
    ["rss_mb", fmt(r.rss_mb, 1), `${gatewayProcess(r)} process at the end (load client: ${fmt(r.load_client_rss_mb, 1)} MB)`],
  ];
  const context: Row[] = [
    [
      "crypto, the gateway's engine",
      r.crypto.engine.name,
      `verify ${fmt(r.crypto.engine.verify_per_s)}/s, sign ${fmt(r.crypto.engine.sign_per_s)}/s on one core (src/gateway/signing/ed25519-node.ts); the targets keep node:crypto's figures above`,
    ],
    ["exec.cold_rps", fmt(r.exec.cold_rps), `exec.full before any push event was injected (the mock's opening heartbeat already enables the session cache) (p50 ${fmt(r.exec.cold_p50_ms, 1)} ms)`],
    ["push.bare_delivered_per_s", fmt(r.push.bare_delivered_per_s), `the bare server streaming the same events, nothing hashed or signed (p99 ${fmt(r.push.bare_p99_ms, 1)} ms)`],
    ["cpu µs per call: bare server", fmt(r.exec.bare_server_us_per_call), ""],
    ["cpu µs per call: gateway, cold", fmt(r.exec.cold_gateway_us_per_call), `${gatewayProcess(r)} process CPU time / calls`],
    ["cpu µs per call: gateway", fmt(r.exec.gateway_us_per_call), ""],
    ...(r.exec.mock_us_per_call === undefined
      ? []
      : ([["cpu µs per call: mock backend", fmt(r.exec.mock_us_per_call), "its own process (bench/mock-proc.ts), exec.full"]] as Row[])),
    ["event-loop utilisation, exec.full", fmt(r.exec.gateway_elu, 2), `gateway main thread, timed run (load client: ${fmt(r.exec.client_elu, 2)})`],
    ["cpu µs per delivery: bare server", fmt(r.push.bare_server_us_per_delivery), ""],
    ["cpu µs per delivery: gateway", fmt(r.push.gateway_us_per_delivery), `one Ed25519 sign alone is ${fmt(1e6 / r.crypto.engine.sign_per_s)} µs (${r.crypto.engine.name}); the signing worker included`],
    ["cpu µs per delivery: load client", fmt(r.push.client_us_per_delivery), "reading and checking the 2,000 streams"],
  ];
  const ratios: Row[] = [
    ["exec.full_rps / min(exec.bare_rps, crypto.limit_rps)", fmt(r.ratios.exec_full_over_min_bare_limit, 2), `(from CPU time per call, gateway + mock: ${fmt(r.ratios.cpu_exec_full_over_min_bare_limit, 2)})`],
    ["push.delivered_per_s / crypto.sign_per_s", fmt(r.ratios.push_delivered_over_sign, 2), `(from CPU time per delivery: ${fmt(r.ratios.cpu_push_delivered_over_sign, 2)})`],
    ["push.bare_delivered_per_s / crypto.sign_per_s", fmt(r.ratios.push_bare_over_sign, 2), "connect-node's own ceiling for that ratio"],
    [
      "exec CPU per call: gateway / bare server",
      fmt(r.ratios.exec_gateway_cpu_over_bare_cpu, 2),
      `${fmt(r.exec.gateway_us_per_call)} / ${fmt(r.exec.bare_server_us_per_call)} µs, exec.full / exec.bare (${r.mock_in_gateway_process ? "the mock backend's share included: same process" : "the gateway alone"})`,
    ],
    [
      "exec CPU per call, exec.paired median",
      fmt(r.ratios.exec_paired_cpu_ratio, 2),
      `pairs (${gatewayProcess(r)} / bare µs): ${r.exec.paired_cpu.rounds.map((p) => `${fmt(p.gateway_us_per_call)}/${fmt(p.bare_server_us_per_call)}`).join(", ")}`,
    ],
    ...(r.exec.paired_cpu.median_ratio_with_mock === undefined
      ? []
      : ([
          [
            "  the same, mock backend counted in",
            fmt(r.exec.paired_cpu.median_ratio_with_mock, 2),
            `(gateway + mock) / bare per pair; the mock's µs per call: ${r.exec.paired_cpu.rounds.map((p) => fmt(p.mock_us_per_call!)).join(", ")}`,
          ],
        ] as Row[])),
  ];
  const quiet = Object.entries(r.quiet)
    .map(([phase, q]) => `${phase} ${fmt(q.foreign_pct)}%${q.waited_ms > 600 ? ` (after waiting ${fmt(q.waited_ms / 1000, 1)} s)` : ""}`)
    .join(", ");
  return [
    `Galaxy Gateway Emulator bench — ${m.nproc} cores (${m.cpu_model}), node ${m.node}, ${m.platform}; ${fmt(r.duration_s)} s`,
    `layout: ${r.layout}`,
    "",
    ...table(figures),
    "",
    "context",
    ...table(context),
    "",
    "ratios",
    ...table(ratios),
    "",
    `CPU, % of one core (${m.nproc} cores = ${m.nproc * 100}%)`,
    `  exec.bare  ${cpuLine(r.exec.cpu.bare)}`,
    `  exec.cold  ${cpuLine(r.exec.cpu.cold)}`,
    `  exec.full  ${cpuLine(r.exec.cpu.full)}`,
    `  push.bare  ${cpuLine(r.push.cpu.bare)}`,
    `  push       ${cpuLine(r.push.cpu.full)}`,
    ...(r.redis ? [`  exec.redis ${cpuLine(r.redis.cpu.redis)}`, `  cluster2   ${cpuLine(r.redis.cpu.cluster2)}`] : []),
    `  other work just before each phase: ${quiet}`,
    "",
    ...(r.redis ? redisRows(r) : []),
    "targets",
    ...r.targets.map((t) => `  ${t.pass ? "PASS" : "MISS"}  ${t.name}: ${fmt(t.value, 2)} ${t.op} ${fmt(t.bound, 2)}${t.note ? ` (${t.note})` : ""}`),
  ].join("\n");
}

/** Cluster mode's figures (`--redis`), next to the in-memory ones of the same run. */
function redisRows(r: Report): string[] {
  const x = r.redis!;
  const rows: Row[] = [
    ["exec.redis_rps", fmt(x.rps), `exec.full with the stores in Redis (p50 ${fmt(x.p50_ms, 1)} ms, p99 ${fmt(x.p99_ms, 1)} ms); in memory: ${fmt(r.exec.full_rps)}`],
    ["cpu µs per call: gateway, redis", fmt(x.gateway_us_per_call), `in memory: ${fmt(r.exec.gateway_us_per_call + (r.exec.mock_us_per_call ?? 0))} (gateway + mock backend, summed over their processes; the Redis run has both in one)`],
    ["cpu µs per call: redis-server", fmt(x.redis_us_per_call), `one core: Redis saturates at ${fmt(x.redis_ceiling_rps)} calls/s`],
    ["exec.cluster2_rps", fmt(x.cluster2.rps), `npm run cluster -- --workers 2 (p50 ${fmt(x.cluster2.p50_ms, 1)} ms, p99 ${fmt(x.cluster2.p99_ms, 1)} ms)`],
    ["cpu µs per call: cluster2 gateways", fmt(x.cluster2.gateways_us_per_call), `both workers + the primary (mock backend); redis-server ${fmt(x.cluster2.redis_us_per_call)}`],
    ...(x.scripts
      ? ([["redis.calls_per_s", fmt(x.scripts.calls_per_s), `redis-benchmark: replay script ${fmt(x.scripts.replay_per_s)}/s, 4-bucket script ${fmt(x.scripts.buckets_per_s)}/s (one Redis core)`]] as Row[])
      : []),
  ];
  return ["cluster mode (--redis)", ...table(rows), ""];
}

/** The JSON line: non-integers rounded to 3 decimals. */
export function toJson(r: Report): string {
  return JSON.stringify(r, (_key, value) => (typeof value === "number" && !Number.isInteger(value) ? round(value, 3) : value));
}
