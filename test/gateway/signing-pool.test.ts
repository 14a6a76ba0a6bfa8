// The signing pool (src/gateway/signing/signing-pool.ts) signs push fan-outs on a worker thread: every
// signature must be the one the main thread would make, with the key each request names, and none may
// be lost when the pool closes with batches in flight, nor when a worker crashes or hangs (workers that
// misbehave are real threads, given to the pool through its createWorker option).
import { createPublicKey, randomBytes, sign, verify, type KeyObject } from "node:crypto";
import { once } from "node:events";
import { Worker } from "node:worker_threads";
import { afterEach, expect, it } from "vitest";
import { DEFAULT_ENGINE, NODE_CRYPTO_ENGINE, privateKeyFromSeed, type Ed25519Engine, type SigningKey } from "../../src/gateway/signing/ed25519-node.js";
import { createSigningWorker, SigningPool, type SigningPoolOptions } from "../../src/gateway/signing/signing-pool.js";

const pools: SigningPool[] = [];
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.close()));
});

function pool(threads: number, options?: SigningPoolOptions): SigningPool {
  const p = new SigningPool(threads, options);
  pools.push(p);
  return p;
}

/** A key as the gateway holds it, for the engine the gateway uses (libsodium here) unless told otherwise. */
function keyPair(engine: Ed25519Engine = DEFAULT_ENGINE): { privateKey: SigningKey; publicKey: KeyObject } {
  const privateKey = privateKeyFromSeed(randomBytes(32), engine);
  return { privateKey, publicKey: createPublicKey(privateKey.keyObject) };
}

/** Messages of varied lengths (0 to 300 bytes), as signing inputs are. */
function messages(n: number): Uint8Array[] {
  return Array.from({ length: n }, (_, i) => new Uint8Array(randomBytes((i * 37) % 301)));
}

it.each([
  { threads: 1, engine: DEFAULT_ENGINE },
  { threads: 2, engine: DEFAULT_ENGINE },
  { threads: 1, engine: NODE_CRYPTO_ENGINE },
])("with $threads worker(s) and the $engine.name engine: a fan-out of 300 signatures in one turn equals node:crypto's signing, in order", async ({ threads, engine }) => {
  const p = pool(threads);
  const { privateKey } = keyPair(engine);
  const inputs = messages(300);
  const signatures = await Promise.all(inputs.map((m) => p.sign(privateKey, m)));
  expect(signatures.map((s) => Buffer.from(s).toString("hex"))).toEqual(inputs.map((m) => sign(null, m, privateKey.keyObject).toString("hex")));
});

it("uses the key each request names, when the key changes in the middle of a turn (rotation)", async () => {
  const p = pool(1);
  const before = keyPair();
  const after = keyPair();
  const inputs = messages(100);
  const signatures = await Promise.all(inputs.map((m, i) => p.sign(i < 30 || i % 7 === 0 ? before.privateKey : after.privateKey, m)));
  signatures.forEach((s, i) => {
    const publicKey = i < 30 || i % 7 === 0 ? before.publicKey : after.publicKey;
    expect(verify(null, inputs[i]!, publicKey, s)).toBe(true);
  });
  // and again after the worker has already been handed a key
  const again = await Promise.all(inputs.map((m) => p.sign(before.privateKey, m)));
  again.forEach((s, i) => expect(verify(null, inputs[i]!, before.publicKey, s)).toBe(true));
});

it("signs a few at a time, and with no worker threads at all, exactly as the main thread does", async () => {
  const { privateKey, publicKey } = keyPair();
  for (const threads of [0, 1]) {
    const p = pool(threads);
    const inputs = messages(3);
    const signatures = await Promise.all(inputs.map((m) => p.sign(privateKey, m)));
    signatures.forEach((s, i) => expect(verify(null, inputs[i]!, publicKey, s)).toBe(true));
  }
});

it("loses nothing when closed with batches in flight: they are signed on the main thread", async () => {
  // A worker that never answers: every batch is certainly still in flight when the pool closes.
  const p = pool(1, { createWorker: hungWorker });
  const { privateKey, publicKey } = keyPair();
  const inputs = messages(2_000);
  const pending = inputs.map((m) => p.sign(privateKey, m));
  // Let the turn end so the rest of the batches are posted to the worker too.
  await new Promise((resolve) => setImmediate(resolve));
  await p.close();
  const signatures = await Promise.all(pending);
  signatures.forEach((s, i) => expect(verify(null, inputs[i]!, publicKey, s)).toBe(true));
  // After close, requests are still answered (on the main thread).
  const late = await p.sign(privateKey, inputs[0]!);
  expect(verify(null, inputs[0]!, publicKey, late)).toBe(true);
});

/** A real worker thread that takes every batch and answers none (a signing loop stuck forever). */
function hungWorker(): Worker {
  return new Worker(`require("node:worker_threads").parentPort.on("message", () => {});`, { eval: true });
}

/** A real worker thread that dies (exit code 3) on the first batch it is given. */
function crashingWorker(): Worker {
  return new Worker(`require("node:worker_threads").parentPort.on("message", () => process.exit(3));`, { eval: true });
}

/** A createWorker option that starts `make(n)` for the n-th worker and records when each exits. */
function trackedWorkers(make: (n: number) => Worker): { createWorker: () => Worker; exits: Promise<unknown>[] } {
  const exits: Promise<unknown>[] = [];
  const createWorker = () => {
    const worker = make(exits.length);
    exits.push(once(worker, "exit").then(([code]) => code));
    return worker;
  };
  return { createWorker, exits };
}

it("loses nothing when a worker dies with batches in flight: they and all later ones are signed on the main thread", async () => {
  const workers = trackedWorkers((n) => (n === 0 ? crashingWorker() : createSigningWorker()));
  const p = pool(2, { createWorker: workers.createWorker });
  const { privateKey, publicKey } = keyPair();
  const inputs = messages(3_000);
  const signatures = await Promise.all(inputs.map((m) => p.sign(privateKey, m)));
  expect(workers.exits).toHaveLength(2);
  expect(await workers.exits[0]).toBe(3); // the first worker did crash on its batch
  signatures.forEach((s, i) => expect(verify(null, inputs[i]!, publicKey, s)).toBe(true));
  const later = await Promise.all(inputs.slice(0, 50).map((m) => p.sign(privateKey, m)));
  later.forEach((s, i) => expect(verify(null, inputs[i]!, publicKey, s)).toBe(true));
  expect(workers.exits).toHaveLength(2); // no worker was started again
});

it("a worker that never answers is retired after stallTimeoutMs: its batches and all later ones are signed on the main thread", async () => {
  const workers = trackedWorkers(hungWorker);
  const p = pool(1, { stallTimeoutMs: 50, createWorker: workers.createWorker });
  const { privateKey, publicKey } = keyPair();
  const inputs = messages(200);
  const signatures = await Promise.all(inputs.map((m) => p.sign(privateKey, m)));
  signatures.forEach((s, i) => expect(verify(null, inputs[i]!, publicKey, s)).toBe(true));
  expect(workers.exits).toHaveLength(1); // the batches went to the hung worker …
  await workers.exits[0]; // … which was terminated, not left holding a thread
  const later = await Promise.all(inputs.slice(0, 50).map((m) => p.sign(privateKey, m)));
  later.forEach((s, i) => expect(verify(null, inputs[i]!, publicKey, s)).toBe(true));
  expect(workers.exits).toHaveLength(1); // and no new worker was started for them
});

it("the worker signs with libsodium, loaded from the file the main thread loaded: given libsodium's secret key alone, it signs", async () => {
  const worker = createSigningWorker();
  try {
    const { privateKey, publicKey } = keyPair(DEFAULT_ENGINE);
    const message = new Uint8Array(randomBytes(120));
    const answered = once(worker, "message");
    worker.postMessage({ id: 1, data: message, ends: Uint32Array.of(message.length), key: { sodiumSecretKey: privateKey.sodiumSecretKey } });
    const [{ id, out }] = (await answered) as [{ id: number; out: Uint8Array }];
    expect(id).toBe(1);
    expect(verify(null, message, publicKey, out)).toBe(true);
  } finally {
    await worker.terminate();
  }
});
