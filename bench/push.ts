// push.*: one backend push (POST /emulator/v1/push) fanned out to N live SubscribeEvents streams of one
// user, each delivery signed by the gateway. The load-client process holds the streams and injects
// the pushes; every event carries its injection time, so latency is injection → receipt, and
// delivered_per_s = deliveries / Σ(injection → last receipt) over the timed pushes.
// The same measurement against the bare server (echo-server.ts) gives connect-node's own floor.
import type { CpuMeter, CpuReport } from "./cpu.js";
import type { PushArgs, PushResult, SubscribeArgs } from "./load-client.js";
import type { Child } from "./proc.js";
import type { BenchDevice } from "./requests.js";

export interface PushPhase {
  streams: number;
  perConnection: number;
  warmupPushes: number;
  pushes: number;
}

export interface PushTarget {
  /** Where the streams connect. */
  url: string;
  /** Where pushes are injected (POST /emulator/v1/push). */
  injectUrl: string;
  /** Stream owners: one user (a push reaches all of a user's streams). */
  devices: BenchDevice[];
  /** The gateway's key: the first delivery of every push is verified. Absent for the bare server. */
  gatewayKey?: Buffer;
}

export type PushMeasurement = PushResult & { open_ms: number; connections: number; cpu: CpuReport };

export async function measurePush(client: Child, target: PushTarget, phase: PushPhase, meter: CpuMeter): Promise<PushMeasurement> {
  const userId = target.devices[0]!.userId;
  if (target.devices.some((d) => d.userId !== userId)) throw new Error("push devices must belong to one user");
  const sub: SubscribeArgs = {
    url: target.url,
    devices: target.devices,
    streams: phase.streams,
    perConnection: phase.perConnection,
    ...(target.gatewayKey ? { gatewayPublicKey: target.gatewayKey.toString("base64") } : {}),
  };
  try {
    const opened = await client.call<{ streams: number; connections: number; open_ms: number }>("subscribe", sub, 120_000);
    if (opened.streams !== phase.streams) throw new Error(`only ${opened.streams} of ${phase.streams} streams opened`);
    const args: PushArgs = { injectUrl: target.injectUrl, userId, warmupPushes: phase.warmupPushes, pushes: phase.pushes, timeoutMs: 30_000 };
    meter.begin();
    const result = await client.call<PushResult>("push", args, (phase.warmupPushes + phase.pushes) * 31_000 + 10_000);
    const cpu = meter.end();
    if (result.bad_signatures > 0) throw new Error(`push: ${result.bad_signatures} sampled events failed verification`);
    if (result.stream_error) throw new Error(`push: a stream failed: ${result.stream_error}`);
    // A stray is a duplicate or an event no push explains: the gateway delivered something wrong.
    if (result.stray_events > 0) throw new Error(`push: ${result.stray_events} events were duplicates or unexpected`);
    return { ...result, open_ms: opened.open_ms, connections: opened.connections, cpu };
  } finally {
    await client.call("closeStreams");
  }
}
