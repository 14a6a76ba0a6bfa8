// exec.*: ExecuteCommand at fixed concurrency, driven by the load-client process.
//  - bare: the same RPC, transport (Connect over h2c) and concurrency against a trivial echo server;
//  - full: the whole gateway pipeline (all stages, mock backend over loopback HTTP, signed answer).
import { usPerOp, type CpuMeter, type CpuReport } from "./cpu.js";
import type { Child } from "./proc.js";
import type { ExecArgs, ExecResult } from "./load-client.js";
import type { BenchDevice } from "./requests.js";
import { median } from "./stats.js";

/** The device the bare server's calls are signed as: the echo server checks no session or signature. */
export const BARE_DEVICE: BenchDevice = { deviceSessionId: "ds_bare", userId: "u_bare", seed: Buffer.alloc(32, 7).toString("base64") };

export interface ExecPhase {
  concurrency: number;
  warmupMs: number;
  durationMs: number;
  /** HTTP/2 connections the calls are spread over (default 1; see ExecArgs.connections). */
  connections?: number;
}

export const EXEC_MESSAGE_TYPE = "user.profile.get";

export async function measureBare(
  client: Child,
  echoUrl: string,
  devices: BenchDevice[],
  phase: ExecPhase,
  meter: CpuMeter,
): Promise<ExecResult & { cpu: CpuReport }> {
  const args: ExecArgs = { url: echoUrl, devices, messageType: EXEC_MESSAGE_TYPE, reuseRequests: true, ...phase };
  meter.begin();
  const result = await client.call<ExecResult>("exec", args, phase.warmupMs + phase.durationMs + 60_000);
  const cpu = meter.end();
  if (result.errors > 0) throw new Error(`exec (bare): ${result.errors} failed calls (first: ${result.first_error})`);
  return { ...result, cpu };
}

/** The gateway's event-loop utilisation since the previous call (gateway-proc.ts "elu"). */
export type EluProbe = () => Promise<{ active_ms: number; idle_ms: number }>;

const ELU_SAMPLE_MS = 250;

export async function measureFull(
  client: Child,
  gatewayUrl: string,
  devices: BenchDevice[],
  gatewayKey: Buffer,
  phase: ExecPhase,
  meter: CpuMeter,
  gatewayElu?: EluProbe,
): Promise<ExecResult & { cpu: CpuReport; server_elu?: number }> {
  const args: ExecArgs = { url: gatewayUrl, devices, messageType: EXEC_MESSAGE_TYPE, gatewayPublicKey: gatewayKey.toString("base64"), ...phase };
  // Gateway ELU is sampled every 250 ms; the samples inside the timed run (its last elapsed_ms) count.
  const samples: { from: number; to: number; active: number; idle: number }[] = [];
  let sampling = gatewayElu !== undefined;
  const sampler = (async () => {
    if (!gatewayElu) return;
    await gatewayElu();
    let from = performance.now();
    while (sampling) {
      await new Promise((resolve) => setTimeout(resolve, ELU_SAMPLE_MS));
      const e = await gatewayElu();
      const to = performance.now();
      samples.push({ from, to, active: e.active_ms, idle: e.idle_ms });
      from = to;
    }
  })();
  // Spans warm-up, pre-signing and the timed run.
  meter.begin();
  let result: ExecResult;
  try {
    result = await client.call<ExecResult>("exec", args, phase.warmupMs + phase.durationMs + 120_000);
  } finally {
    sampling = false;
    await sampler.catch(() => {});
  }
  const ended = performance.now();
  const cpu = meter.end();
  if (result.errors > 0) throw new Error(`exec: ${result.errors} failed calls (first: ${result.first_error})`);
  const inRun = samples.filter((s) => s.from >= ended - result.elapsed_ms && s.to <= ended);
  const active = inRun.reduce((a, s) => a + s.active, 0);
  const idle = inRun.reduce((a, s) => a + s.idle, 0);
  return { ...result, cpu, ...(active + idle > 0 ? { server_elu: active / (active + idle) } : {}) };
}

/** One round of exec.paired: the same short load on the bare server, then on the gateway (or the reverse). */
export interface PairedRound {
  bare_server_us_per_call: number;
  gateway_us_per_call: number;
  ratio: number;
  /** The mock backend's process, when it runs apart from the gateway's (the default layout). */
  mock_us_per_call?: number;
}

export interface PairedCpu {
  rounds: PairedRound[];
  /** The gateway's process against the bare server: the figure the target checks. */
  median_ratio: number;
  /** The mock backend's process counted in too (only when it runs apart: otherwise the gateway's process holds it). */
  median_ratio_with_mock?: number;
}

/**
 * exec.paired: CPU per call of the gateway against the bare server's, in `rounds` back-to-back pairs,
 * the order alternating (bare first, then gateway first, …), and the median of the per-pair ratios.
 * One long phase of each, minutes apart, gave ratios from 1.97 to 3.35 for the same code (bench/README,
 * issue 11): the machine's speed drifted between the two phases. Within a pair the two sides run
 * seconds apart under the same conditions, and the median drops the odd pair a burst of other work hit.
 * One pair runs first unrecorded: the echo server has sat idle since exec.bare, and its first round
 * read 16–78% above the same run's other rounds in three full runs (e.g. 343 against 196–247 µs), a
 * pair that flattered the gateway.
 */
export async function measurePairedCpu(
  rounds: number,
  bare: () => Promise<{ cpu: CpuReport; all_calls: number }>,
  full: () => Promise<{ cpu: CpuReport; all_calls: number }>,
): Promise<PairedCpu> {
  await bare();
  await full();
  const results: PairedRound[] = [];
  for (let i = 0; i < rounds; i += 1) {
    const first = i % 2 === 0 ? bare : full;
    const second = i % 2 === 0 ? full : bare;
    const a = await first();
    const b = await second();
    const [b0, f0] = i % 2 === 0 ? [a, b] : [b, a];
    const bareUs = usPerOp(b0.cpu, "echo_server", b0.all_calls);
    const gatewayUs = usPerOp(f0.cpu, "gateway", f0.all_calls);
    const mockFigure = "mock" in f0.cpu.processes ? { mock_us_per_call: usPerOp(f0.cpu, "mock", f0.all_calls) } : {};
    results.push({ bare_server_us_per_call: bareUs, gateway_us_per_call: gatewayUs, ratio: gatewayUs / bareUs, ...mockFigure });
  }
  const withMock = results.every((r) => r.mock_us_per_call !== undefined)
    ? { median_ratio_with_mock: median(results.map((r) => (r.gateway_us_per_call + r.mock_us_per_call!) / r.bare_server_us_per_call)) }
    : {};
  return { rounds: results, median_ratio: median(results.map((r) => r.ratio)), ...withMock };
}
