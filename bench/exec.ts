// exec.*: ExecuteCommand at fixed concurrency, driven by the load-client process.
//  - bare: the same RPC, transport (Connect over h2c) and concurrency against a trivial echo server;
//  - full: the whole gateway pipeline (all stages, mock backend over loopback HTTP, signed answer).
import type { CpuMeter, CpuReport } from "./cpu.js";
import type { Child } from "./proc.js";
import type { ExecArgs, ExecResult } from "./load-client.js";
import type { BenchDevice } from "./requests.js";

export interface ExecPhase {
  concurrency: number;
  warmupMs: number;
  durationMs: number;
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

export async function measureFull(
  client: Child,
  gatewayUrl: string,
  devices: BenchDevice[],
  gatewayKey: Buffer,
  phase: ExecPhase,
  meter: CpuMeter,
): Promise<ExecResult & { cpu: CpuReport }> {
  const args: ExecArgs = { url: gatewayUrl, devices, messageType: EXEC_MESSAGE_TYPE, gatewayPublicKey: gatewayKey.toString("base64"), ...phase };
  // Spans warm-up, pre-signing and the timed run.
  meter.begin();
  const result = await client.call<ExecResult>("exec", args, phase.warmupMs + phase.durationMs + 120_000);
  const cpu = meter.end();
  if (result.errors > 0) throw new Error(`exec: ${result.errors} failed calls (first: ${result.first_error})`);
  return { ...result, cpu };
}
