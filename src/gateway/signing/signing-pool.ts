// Ed25519 signing on worker threads, for push fan-outs. An event's signing input names the stream's
// device session and request (§2), so one push to N streams costs N signatures (~35 µs each): on the
// main thread that is a quarter of a delivery's cost, while the machine's other core idles. Signatures
// asked for in one turn of the event loop leave as batches (one message per CHUNK inputs, to the least
// busy worker); a few at a time are cheaper to sign here than to post. If a worker fails (an error, an
// exit, or no answer for stallTimeoutMs while it holds batches), the workers are retired: their
// batches and every later one are signed on the main thread. Nothing is lost, nothing waits forever.
import { Worker } from "node:worker_threads";
import { DEFAULT_ENGINE, signWith, type SigningKey } from "./ed25519-node.js";

/** Inputs per worker message: large enough to amortise a post, small enough that writes start early. */
const CHUNK = 64;
/** Fewer pending signatures than this in one turn are signed on the main thread. */
const INLINE_BELOW = 8;
/**
 * A worker holding batches that answers none of them for this long is taken as hung. A batch is
 * ~2 ms of work (64 × ~35 µs) and the clock restarts at every answer, so 2 s is ~1 000 batches'
 * time: beyond GC pauses and a loaded machine's scheduling, short enough that a hung worker delays
 * push events by seconds, not forever.
 */
export const DEFAULT_STALL_TIMEOUT_MS = 2_000;

// Plain JavaScript run with `eval`, so the pool works alike under tsx, vitest, the built dist and Electron.
// It signs with the engine the main thread uses (ed25519-node.ts): libsodium, loaded from the file the
// main thread loaded, or node:crypto. A worker that cannot load it fails, and the pool signs here.
const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const { sign } = require("node:crypto");
const sodium = workerData.sodiumPath ? require(workerData.sodiumPath) : undefined;
let key;
parentPort.on("message", (m) => {
  if (m.key) key = m.key;
  const out = new Uint8Array(m.ends.length * 64);
  let start = 0;
  for (let i = 0; i < m.ends.length; i++) {
    const message = m.data.subarray(start, m.ends[i]);
    if (sodium && key.sodiumSecretKey) sodium.crypto_sign_detached(out.subarray(i * 64, i * 64 + 64), message, key.sodiumSecretKey);
    else out.set(sign(null, message, key.keyObject), i * 64);
    start = m.ends[i];
  }
  parentPort.postMessage({ id: m.id, out }, [out.buffer]);
});`;

interface Job {
  key: SigningKey;
  message: Uint8Array;
  resolve(signature: Uint8Array): void;
  reject(reason: unknown): void;
}

interface PoolWorker {
  worker: Worker;
  key: SigningKey | undefined;
  /** Batches posted and not yet answered, by id. */
  outstanding: Map<number, Job[]>;
  jobs: number;
  /** Runs while batches are outstanding; restarted by every answer (see DEFAULT_STALL_TIMEOUT_MS). */
  stallTimer: NodeJS.Timeout | undefined;
}

export interface SigningPoolOptions {
  /** Default DEFAULT_STALL_TIMEOUT_MS. */
  stallTimeoutMs?: number;
  /** Starts one worker; default createSigningWorker. Tests substitute workers that hang or crash. */
  createWorker?: () => Worker;
}

/** A worker thread running the signing loop the pool talks to. */
export function createSigningWorker(): Worker {
  return new Worker(WORKER_SOURCE, { eval: true, workerData: { sodiumPath: DEFAULT_ENGINE.sodiumPath } });
}

export class SigningPool {
  private workers: PoolWorker[] | undefined;
  private pending: Job[] = [];
  private flushScheduled = false;
  private broken = false;
  private closed = false;
  private nextBatchId = 0;

  private readonly stallTimeoutMs: number;
  private readonly createWorker: () => Worker;

  /** threads = 0 signs everything on the main thread. */
  constructor(
    private readonly threads: number,
    options: SigningPoolOptions = {},
  ) {
    this.stallTimeoutMs = options.stallTimeoutMs ?? DEFAULT_STALL_TIMEOUT_MS;
    this.createWorker = options.createWorker ?? createSigningWorker;
  }

  sign(key: SigningKey, message: Uint8Array): Promise<Uint8Array> {
    return new Promise((resolve, reject) => {
      const job: Job = { key, message, resolve, reject };
      if (this.threads === 0 || this.broken || this.closed) return signHere(job);
      this.pending.push(job);
      // A full batch leaves at once, so the worker signs while the rest of a fan-out is still being built.
      if (this.pending.length >= CHUNK) this.flush();
      else if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** Stops the workers; batches in flight are signed on the main thread. */
  async close(): Promise<void> {
    this.closed = true;
    this.flush();
    const workers = this.workers ?? [];
    this.workers = undefined;
    for (const w of workers) signOutstandingHere(w);
    await Promise.all(workers.map((w) => w.worker.terminate()));
  }

  private flush(): void {
    this.flushScheduled = false;
    const jobs = this.pending;
    this.pending = [];
    if (jobs.length < INLINE_BELOW || this.broken || this.closed) {
      for (const job of jobs) signHere(job);
      return;
    }
    let at = 0;
    try {
      const workers = (this.workers ??= this.startWorkers());
      while (at < jobs.length) {
        // A batch has one key: a rotation in the middle of a turn starts a new batch.
        let end = Math.min(at + CHUNK, jobs.length);
        for (let i = at + 1; i < end; i++) {
          if (jobs[i]!.key !== jobs[at]!.key) end = i;
        }
        this.post(leastBusy(workers), jobs.slice(at, end));
        at = end;
      }
    } catch (err) {
      // No worker could be started or posted to: this batch and every later one are signed here.
      this.fail(err);
      for (const job of jobs.slice(at)) signHere(job);
    }
  }

  private post(target: PoolWorker, batch: Job[]): void {
    let size = 0;
    for (const job of batch) size += job.message.byteLength;
    const data = new Uint8Array(size);
    const ends = new Uint32Array(batch.length);
    let offset = 0;
    batch.forEach((job, i) => {
      data.set(job.message, offset);
      ends[i] = offset += job.message.byteLength;
    });
    const id = this.nextBatchId++;
    const key = batch[0]!.key;
    target.outstanding.set(id, batch);
    target.jobs += batch.length;
    target.stallTimer ??= setTimeout(
      () => this.fail(new Error(`a signing worker answered no batch for ${this.stallTimeoutMs} ms`)),
      this.stallTimeoutMs,
    );
    const keyForWorker = target.key === key ? undefined : { keyObject: key.keyObject, sodiumSecretKey: key.sodiumSecretKey };
    target.worker.postMessage({ id, data, ends, key: keyForWorker }, [data.buffer, ends.buffer]);
    target.key = key;
  }

  private startWorkers(): PoolWorker[] {
    return Array.from({ length: this.threads }, () => {
      const w: PoolWorker = { worker: this.createWorker(), key: undefined, outstanding: new Map(), jobs: 0, stallTimer: undefined };
      w.worker.unref(); // never what keeps a process alive
      w.worker.on("message", ({ id, out }: { id: number; out: Uint8Array }) => {
        const batch = w.outstanding.get(id);
        if (!batch) return;
        w.outstanding.delete(id);
        w.jobs -= batch.length;
        if (w.outstanding.size > 0) w.stallTimer?.refresh();
        else stopStallTimer(w);
        // Copies, so a signature kept by a caller does not keep the batch's buffer alive.
        batch.forEach((job, i) => job.resolve(out.slice(i * 64, i * 64 + 64)));
      });
      w.worker.on("error", (err) => this.fail(err));
      w.worker.on("exit", (code) => this.fail(`exit code ${code}`));
      return w;
    });
  }

  /** From now on everything is signed on the main thread; work in flight on the workers too. */
  private fail(reason: unknown): void {
    if (this.closed || this.broken) return;
    console.error("gateway: a signing worker failed; signing on the main thread from now on:", reason);
    this.broken = true;
    const workers = this.workers ?? [];
    this.workers = undefined;
    for (const w of workers) {
      signOutstandingHere(w);
      void w.worker.terminate();
    }
  }
}

function signHere(job: Job): void {
  try {
    job.resolve(signWith(job.key, job.message));
  } catch (err) {
    job.reject(err);
  }
}

/** Signs a worker's unanswered batches here (after a failure or at close). */
function signOutstandingHere(w: PoolWorker): void {
  stopStallTimer(w);
  for (const batch of w.outstanding.values()) for (const job of batch) signHere(job);
  w.outstanding.clear();
  w.jobs = 0;
}

function stopStallTimer(w: PoolWorker): void {
  clearTimeout(w.stallTimer);
  w.stallTimer = undefined;
}

function leastBusy(workers: PoolWorker[]): PoolWorker {
  let best = workers[0]!;
  for (const w of workers) if (w.jobs < best.jobs) best = w;
  return best;
}
