// The load generator: a child process of bench/run.ts, so the gateway's event loop is never shared
// with the client. It drives ExecuteCommand at a fixed concurrency (exec), holds SubscribeEvents
// streams (subscribe) and injects pushes, timing each delivery from injection to receipt (push).
import { performance } from "node:perf_hooks";
import { setMaxListeners } from "node:events";
import { createClient, type Client } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { EdgeGateway, type ExecuteCommandRequest, type GatewayEvent } from "../src/shared/gen/galaxy/gateway/v1/gateway_pb.js";
import { SERVER_TIME_EVENT_TYPE } from "../src/shared/protocol.js";
import { serveCommands } from "./proc.js";
import { DeviceSigner, GatewaySignatureChecker, type BenchDevice } from "./requests.js";
import { nowAbsMs, quantile, Samples } from "./stats.js";

type EdgeClient = Client<typeof EdgeGateway>;

const runTag = `${process.pid.toString(36)}${Date.now().toString(36)}`;
const MAX_PRESIGNED = 300_000;

function edgeClient(url: string): EdgeClient {
  return createClient(EdgeGateway, createConnectTransport({ baseUrl: url, httpVersion: "2" }));
}

// ---------------------------------------------------------------- exec

export interface ExecArgs {
  url: string;
  devices: BenchDevice[];
  concurrency: number;
  warmupMs: number;
  durationMs: number;
  messageType: string;
  /** base64 gateway key: sampled responses are verified. Absent (bare echo): nothing is checked. */
  gatewayPublicKey?: string;
  /** Bare echo: cycle a small pool of requests instead of signing a fresh one per call. */
  reuseRequests?: boolean;
}

export interface ExecResult {
  requests: number;
  errors: number;
  first_error?: string;
  elapsed_ms: number;
  rps: number;
  p50_ms: number;
  p90_ms: number;
  p99_ms: number;
  max_ms: number;
  warmup_rps: number;
  /** Calls made in warm-up and timed run together (for CPU per call over the whole phase). */
  all_calls: number;
  presigned: number;
  signed_during_run: number;
  verified_samples: number;
  client_cpu_pct: number;
  client_elu: number;
}

interface LoadOutcome {
  ok: number;
  errors: number;
  firstError?: string;
  elapsedMs: number;
  latencies: Samples;
  verified: number;
  /** CPU use of this (client) process during the run, % of one core. */
  cpuPct: number;
  /** Event-loop utilisation of this process during the run. */
  elu?: number;
}

async function runLoad(
  client: EdgeClient,
  concurrency: number,
  durationMs: number,
  next: () => ExecuteCommandRequest,
  checker?: GatewaySignatureChecker,
): Promise<LoadOutcome> {
  const latencies = new Samples();
  const outcome: LoadOutcome = { ok: 0, errors: 0, elapsedMs: 0, latencies, verified: 0, cpuPct: 0 };
  const cpu = process.cpuUsage();
  const elu0 = performance.eventLoopUtilization();
  const start = performance.now();
  const end = start + durationMs;
  const worker = async () => {
    while (performance.now() < end) {
      const req = next();
      const t0 = performance.now();
      try {
        const res = await client.executeCommand(req);
        const ms = performance.now() - t0;
        if (res.envelope?.resultCode !== "ok" || res.envelope.requestId !== req.envelope?.requestId) {
          outcome.errors++;
          outcome.firstError ??= `result_code ${res.envelope?.resultCode}`;
          continue;
        }
        if (checker && outcome.ok % 256 === 0) {
          if (!checker.response(res)) throw new Error("a response signature did not verify");
          outcome.verified++;
        }
        outcome.ok++;
        latencies.push(ms);
      } catch (err) {
        outcome.errors++;
        outcome.firstError ??= err instanceof Error ? err.message : String(err);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  outcome.elapsedMs = performance.now() - start;
  const used = process.cpuUsage(cpu);
  outcome.cpuPct = ((used.user + used.system) / 1000 / outcome.elapsedMs) * 100;
  outcome.elu = performance.eventLoopUtilization(elu0).utilization;
  return outcome;
}

async function exec(args: ExecArgs): Promise<ExecResult> {
  const client = edgeClient(args.url);
  const signers = args.devices.map((d) => new DeviceSigner(d, runTag));
  let turn = 0;
  const sign = () => signers[turn++ % signers.length]!.executeCommand(args.messageType);
  const checker = args.gatewayPublicKey ? new GatewaySignatureChecker(Buffer.from(args.gatewayPublicKey, "base64")) : undefined;

  // Warm-up: signs on the fly; its rate sizes the pool of pre-signed requests for the timed run.
  const warm = await runLoad(client, args.concurrency, args.warmupMs, sign, checker);
  if (warm.ok === 0) throw new Error(`warm-up: no call succeeded (${warm.errors} errors; first: ${warm.firstError})`);
  const warmRps = (warm.ok * 1000) / warm.elapsedMs;

  let pool: ExecuteCommandRequest[];
  let next: () => ExecuteCommandRequest;
  let signedDuringRun = 0;
  if (args.reuseRequests) {
    pool = Array.from({ length: 1024 }, sign);
    let i = 0;
    next = () => pool[i++ & 1023]!;
  } else {
    // Pre-signed a moment before use: timestamps stay well inside the freshness window.
    const size = Math.min(MAX_PRESIGNED, Math.ceil((warmRps * 2 * args.durationMs) / 1000) + args.concurrency * 4);
    pool = Array.from({ length: size }, sign);
    let i = 0;
    next = () => {
      if (i < pool.length) return pool[i++]!;
      signedDuringRun++;
      return sign();
    };
  }
  const run = await runLoad(client, args.concurrency, args.durationMs, next, checker);
  const lat = run.latencies.values();
  return {
    requests: run.ok,
    errors: run.errors,
    ...(run.firstError ? { first_error: run.firstError } : {}),
    elapsed_ms: run.elapsedMs,
    rps: (run.ok * 1000) / run.elapsedMs,
    p50_ms: quantile(lat, 0.5),
    p90_ms: quantile(lat, 0.9),
    p99_ms: quantile(lat, 0.99),
    max_ms: quantile(lat, 1),
    warmup_rps: warmRps,
    all_calls: warm.ok + warm.errors + run.ok + run.errors,
    presigned: args.reuseRequests ? 0 : pool.length,
    signed_during_run: signedDuringRun,
    verified_samples: warm.verified + run.verified,
    client_cpu_pct: run.cpuPct,
    client_elu: run.elu ?? 0,
  };
}

// ---------------------------------------------------------------- subscribe + push

export interface SubscribeArgs {
  url: string;
  devices: BenchDevice[];
  streams: number;
  /** Streams per HTTP/2 connection (the gateway allows 256 concurrent streams per connection). */
  perConnection: number;
  /** base64 gateway key: the first event of every push is verified. Absent (bare server): not checked. */
  gatewayPublicKey?: string;
}

interface PushWait {
  seq: number;
  injectedAt: number;
  expected: number;
  received: number;
  lastReceipt: number;
  record: boolean;
  done(): void;
}

/** One set of live SubscribeEvents streams and the push being waited for. */
class StreamSet {
  readonly abort = new AbortController();
  ready = 0;
  ended = 0;
  error: string | undefined;
  current: PushWait | undefined;
  latencies = new Samples();
  stray = 0;
  badSignatures = 0;

  constructor(private readonly checker: GatewaySignatureChecker | undefined) {
    setMaxListeners(0, this.abort.signal); // one listener per stream, by design
  }

  onEvent(ev: GatewayEvent): void {
    const now = nowAbsMs();
    const wait = this.current;
    let payload: { bench_seq?: number; t_inject_ms?: number };
    try {
      payload = JSON.parse(Buffer.from(ev.payloadBytes.buffer, ev.payloadBytes.byteOffset, ev.payloadBytes.byteLength).toString("utf8"));
    } catch {
      this.stray++;
      return;
    }
    if (!wait || payload.bench_seq !== wait.seq || typeof payload.t_inject_ms !== "number") {
      this.stray++;
      return;
    }
    if (wait.received === 0 && this.checker && !this.checker.event(ev)) this.badSignatures++;
    wait.received++;
    wait.lastReceipt = now;
    if (wait.record) this.latencies.push(now - payload.t_inject_ms);
    if (wait.received === wait.expected) wait.done();
  }
}

let streams: StreamSet | undefined;

async function subscribe(args: SubscribeArgs): Promise<{ streams: number; connections: number; open_ms: number }> {
  streams?.abort.abort();
  const set = (streams = new StreamSet(args.gatewayPublicKey ? new GatewaySignatureChecker(Buffer.from(args.gatewayPublicKey, "base64")) : undefined));
  const signers = args.devices.map((d) => new DeviceSigner(d, runTag));
  const connections = Math.ceil(args.streams / args.perConnection);
  const clients = Array.from({ length: connections }, () => edgeClient(args.url));
  const start = performance.now();

  const open = (k: number) =>
    new Promise<void>((ready, failed) => {
      const req = signers[k % signers.length]!.subscribeEvents();
      const client = clients[Math.floor(k / args.perConnection)]!;
      let isReady = false;
      void (async () => {
        try {
          for await (const ev of client.subscribeEvents(req, { signal: set.abort.signal })) {
            if (!isReady && ev.envelope?.eventType === SERVER_TIME_EVENT_TYPE) {
              isReady = true;
              set.ready++;
              ready();
              continue;
            }
            set.onEvent(ev);
          }
        } catch (err) {
          if (!set.abort.signal.aborted) set.error ??= err instanceof Error ? err.message : String(err);
          if (!isReady) failed(err);
        } finally {
          set.ended++;
          if (isReady) set.ready--;
        }
      })();
    });

  // Open in waves so the server is not handed 2,000 handshakes in one tick.
  const wave = 100;
  for (let k = 0; k < args.streams; k += wave) {
    await Promise.all(Array.from({ length: Math.min(wave, args.streams - k) }, (_, j) => open(k + j)));
  }
  return { streams: set.ready, connections, open_ms: performance.now() - start };
}

export interface PushArgs {
  /** Where POST /emulator/v1/push goes (the gateway's control plane, or the bare server's). */
  injectUrl: string;
  userId: string;
  warmupPushes: number;
  pushes: number;
  timeoutMs: number;
}

export interface PushResult {
  streams: number;
  pushes: number;
  delivered: number;
  missing: number;
  /** Deliveries of warm-up and timed pushes together (for CPU per delivery over the whole phase). */
  all_delivered: number;
  delivered_per_s: number;
  p50_ms: number;
  p99_ms: number;
  max_ms: number;
  /** Mean time from injection to the last stream's receipt, per push. */
  fanout_ms: number;
  stray_events: number;
  bad_signatures: number;
  client_cpu_pct: number;
  stream_error?: string;
}

async function push(args: PushArgs): Promise<PushResult> {
  const set = streams;
  if (!set) throw new Error("push before subscribe");
  set.latencies = new Samples();
  let delivered = 0;
  let allDelivered = 0;
  let missing = 0;
  let busyMs = 0;
  let cpuUs = 0;
  const total = args.warmupPushes + args.pushes;
  for (let seq = 1; seq <= total; seq++) {
    const record = seq > args.warmupPushes;
    let done!: () => void;
    const finished = new Promise<void>((resolve) => (done = resolve));
    const cpu = process.cpuUsage();
    const injectedAt = nowAbsMs();
    const wait: PushWait = { seq, injectedAt, expected: set.ready, received: 0, lastReceipt: injectedAt, record, done };
    set.current = wait;
    const res = await fetch(`${args.injectUrl}/emulator/v1/push`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        client_event: { user_id: args.userId, event_type: "bench.tick", payload: { bench_seq: seq, t_inject_ms: injectedAt } },
      }),
    });
    if (res.status !== 200) throw new Error(`push injection answered ${res.status}: ${await res.text()}`);
    await res.arrayBuffer();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([finished, new Promise<void>((resolve) => (timer = setTimeout(resolve, args.timeoutMs)))]);
    clearTimeout(timer);
    set.current = undefined;
    allDelivered += wait.received;
    if (record) {
      const used = process.cpuUsage(cpu);
      cpuUs += used.user + used.system;
      delivered += wait.received;
      missing += wait.expected - wait.received;
      busyMs += wait.lastReceipt - wait.injectedAt;
    }
    await new Promise((resolve) => setTimeout(resolve, 20)); // let stragglers of this push drain
  }
  const lat = set.latencies.values();
  return {
    streams: set.ready,
    pushes: args.pushes,
    delivered,
    missing,
    all_delivered: allDelivered,
    delivered_per_s: busyMs > 0 ? (delivered * 1000) / busyMs : 0,
    p50_ms: quantile(lat, 0.5),
    p99_ms: quantile(lat, 0.99),
    max_ms: quantile(lat, 1),
    fanout_ms: busyMs / args.pushes,
    stray_events: set.stray,
    bad_signatures: set.badSignatures,
    client_cpu_pct: busyMs > 0 ? (cpuUs / 1000 / busyMs) * 100 : 0,
    ...(set.error ? { stream_error: set.error } : {}),
  };
}

serveCommands(
  {
    exec,
    subscribe,
    push,
    closeStreams: () => {
      streams?.abort.abort();
      return { ended: streams?.ended ?? 0 };
    },
    stats: () => ({ rss: process.memoryUsage().rss }),
  },
  () => streams?.abort.abort(),
);
