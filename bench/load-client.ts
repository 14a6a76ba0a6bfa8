// The load generator: a child process of bench/run.ts, so the gateway's event loop is never shared
// with the client. It drives ExecuteCommand at a fixed concurrency (exec), holds SubscribeEvents
// streams (subscribe) and injects pushes, timing each delivery from injection to receipt (push).
import http from "node:http";
import http2 from "node:http2";
import { performance } from "node:perf_hooks";
import { fromBinary } from "@bufbuild/protobuf";
import { createClient, type Client } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { EdgeGateway, GatewayEventSchema, type ExecuteCommandRequest, type GatewayEvent } from "../src/shared/gen/galaxy/gateway/v1/gateway_pb.js";
import { SERVER_TIME_EVENT_TYPE } from "../src/shared/protocol.js";
import { serveCommands } from "./proc.js";
import { bytesField, subscribeRaw } from "./raw-subscriber.js";
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
  /**
   * HTTP/2 connections to spread the calls over, round-robin (default 1). A cluster sharing one port
   * (node:cluster) hands out connections, not calls: one connection would load one worker only.
   */
  connections?: number;
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

/** Calls spread round-robin over `n` clients, each with its own HTTP/2 connection. */
function spreadClient(url: string, n: number): EdgeClient {
  if (n <= 1) return edgeClient(url);
  const clients = Array.from({ length: n }, () => edgeClient(url));
  let k = 0;
  return { ...clients[0]!, executeCommand: (request, options) => clients[k++ % n]!.executeCommand(request, options) } as EdgeClient;
}

async function exec(args: ExecArgs): Promise<ExecResult> {
  const client = spreadClient(args.url, args.connections ?? 1);
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
// The streams are read with plain node:http2 (raw-subscriber.ts), not connect-node, so that the
// instrument leaves the CPU to the gateway. What a delivery has to pass is in onMessage.

const PUSH_EVENT_TYPE = "bench.tick";
const PUSH_EVENT_TYPE_BYTES = Buffer.from(PUSH_EVENT_TYPE);

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
  /** The payload as injected (JSON): the gateway passes it through unchanged. */
  payload: Buffer;
  expected: number;
  received: number;
  lastReceipt: number;
  record: boolean;
  done(): void;
}

/** One set of live SubscribeEvents streams, their connections and the push being waited for. */
class StreamSet {
  readonly sessions: http2.ClientHttp2Session[] = [];
  readonly streams = new Set<http2.ClientHttp2Stream>();
  closing = false;
  ready = 0;
  ended = 0;
  error: string | undefined;
  current: PushWait | undefined;
  latencies = new Samples();
  stray = 0;
  badSignatures = 0;

  constructor(private readonly checker: GatewaySignatureChecker | undefined) {}

  fail(why: string): void {
    if (!this.closing) this.error ??= why;
  }

  /**
   * A message after the stream's server_time event (its Connect framing already checked). It counts
   * as a delivery of the current push if its stream has not had that push yet and it is that push's
   * event. The first delivery of every push is decoded in full and its signature checked. The others
   * are checked without decoding (~0.6 µs; a full decode + JSON.parse made the client cost 16 µs a
   * delivery instead of 10): protobuf structure of the event and its envelope, event type, and
   * payload byte for byte as injected. Only a message that fails that is decoded, to tell a
   * re-encoded payload from a stray event.
   */
  onMessage(stream: { lastSeq: number }, body: Buffer, receivedAt: number): void {
    const wait = this.current;
    if (!wait || stream.lastSeq >= wait.seq || !this.isPush(body, wait)) {
      this.stray++;
      return;
    }
    stream.lastSeq = wait.seq;
    wait.received++;
    wait.lastReceipt = receivedAt;
    // The injection time is this process's own clock reading, the same number the payload carries.
    if (wait.record) this.latencies.push(receivedAt - wait.injectedAt);
    if (wait.received === wait.expected) wait.done();
  }

  private isPush(body: Buffer, wait: PushWait): boolean {
    if (wait.received > 0) {
      // GatewayEvent: envelope = 1, payload_bytes = 2; EventEnvelope: event_type = 3.
      const envelope = bytesField(body, 1);
      if (envelope && bytesField(envelope, 3)?.equals(PUSH_EVENT_TYPE_BYTES) && bytesField(body, 2)?.equals(wait.payload)) return true;
    }
    let ev: GatewayEvent;
    try {
      ev = fromBinary(GatewayEventSchema, body);
    } catch (err) {
      this.fail(`undecodable event: ${err instanceof Error ? err.message : String(err)}`);
      return false;
    }
    if (ev.envelope?.eventType !== PUSH_EVENT_TYPE || !samePayload(ev.payloadBytes, wait)) return false;
    if (wait.received === 0 && this.checker && !this.checker.event(ev)) this.badSignatures++;
    return true;
  }

  /** Cancels every stream (RST_STREAM CANCEL, as connect-node does on abort), then closes the connections. */
  async close(): Promise<void> {
    this.closing = true;
    this.current = undefined;
    for (const stream of this.streams) stream.close(http2.constants.NGHTTP2_CANCEL);
    await Promise.all(
      this.sessions.map(
        (session) =>
          new Promise<void>((resolve) => {
            if (session.closed || session.destroyed) return resolve();
            session.once("close", () => resolve());
            session.close();
            setTimeout(() => session.destroy(), 2_000).unref(); // a peer that never answers
          }),
      ),
    );
  }
}

/** Same bench_seq and t_inject_ms as injected, if the JSON came back in another form. */
function samePayload(bytes: Uint8Array, wait: PushWait): boolean {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.equals(wait.payload)) return true;
  try {
    const p = JSON.parse(buf.toString("utf8")) as { bench_seq?: unknown; t_inject_ms?: unknown };
    return p.bench_seq === wait.seq && p.t_inject_ms === wait.injectedAt;
  } catch {
    return false;
  }
}

let streams: StreamSet | undefined;

async function subscribe(args: SubscribeArgs): Promise<{ streams: number; connections: number; open_ms: number }> {
  await streams?.close();
  const set = (streams = new StreamSet(args.gatewayPublicKey ? new GatewaySignatureChecker(Buffer.from(args.gatewayPublicKey, "base64")) : undefined));
  const signers = args.devices.map((d) => new DeviceSigner(d, runTag));
  const connections = Math.ceil(args.streams / args.perConnection);
  for (let c = 0; c < connections; c++) {
    const session = http2.connect(args.url);
    session.on("error", (err) => set.fail(`connection: ${err.message}`));
    session.on("goaway", (code) => set.fail(`connection: GOAWAY code ${code}`));
    session.on("close", () => set.fail("connection closed"));
    set.sessions.push(session);
  }
  const start = performance.now();

  const open = (k: number) =>
    new Promise<void>((ready, failed) => {
      const state = { isReady: false, lastSeq: 0 };
      const stream = subscribeRaw(set.sessions[Math.floor(k / args.perConnection)]!, signers[k % signers.length]!.subscribeEvents(), {
        message(body, receivedAt) {
          if (state.isReady) return set.onMessage(state, body, receivedAt);
          // The first event must be server_time: it marks the stream as ready (decoded once per stream).
          let type: string | undefined;
          try {
            type = fromBinary(GatewayEventSchema, body).envelope?.eventType;
          } catch {
            type = "(undecodable)";
          }
          if (type !== SERVER_TIME_EVENT_TYPE) {
            set.fail(`first event ${type}, not ${SERVER_TIME_EVENT_TYPE}`);
            failed(new Error(`stream ${k}: first event ${type}, not ${SERVER_TIME_EVENT_TYPE}`));
            stream.close(http2.constants.NGHTTP2_CANCEL);
            return;
          }
          state.isReady = true;
          set.ready++;
          ready();
        },
        end(error) {
          set.fail(error ?? "stream ended by the server");
          set.ended++;
          if (state.isReady) set.ready--;
          else failed(new Error(`stream ${k}: ${error ?? "ended before its first event"}`));
        },
      });
      set.streams.add(stream);
      stream.once("close", () => set.streams.delete(stream));
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

/** Its connection is closed with the streams (fetch's would stay in undici's global pool). */
const injectAgent = new http.Agent({ keepAlive: true, maxSockets: 1 });

function inject(url: string, body: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const headers = { "content-type": "application/json" };
    const req = http.request(`${url}/emulator/v1/push`, { method: "POST", agent: injectAgent, headers }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (text += chunk));
      res.on("end", () => (res.statusCode === 200 ? resolve() : reject(new Error(`push injection answered ${res.statusCode}: ${text}`))));
    });
    req.on("error", reject);
    req.end(body);
  });
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
    const payload = JSON.stringify({ bench_seq: seq, t_inject_ms: injectedAt });
    const wait: PushWait = { seq, injectedAt, payload: Buffer.from(payload), expected: set.ready, received: 0, lastReceipt: injectedAt, record, done };
    set.current = wait;
    await inject(args.injectUrl, `{"client_event":{"user_id":${JSON.stringify(args.userId)},"event_type":"${PUSH_EVENT_TYPE}","payload":${payload}}}`);
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
    closeStreams: async () => {
      injectAgent.destroy();
      await streams?.close();
      return { ended: streams?.ended ?? 0 };
    },
    stats: () => ({ rss: process.memoryUsage().rss }),
  },
  () => {
    injectAgent.destroy();
    return streams?.close();
  },
);
