// The gateway's response-signing key: persisted in the state directory so clients can pin it across
// restarts (§2), and rotatable on demand. Rotation writes the new key before it is used.
import { randomBytes } from "node:crypto";
import { mkdir, readFile } from "node:fs/promises";
import path from "node:path";
import { fromBase64Url, toBase64Url } from "../../shared/bytes.js";
import { removeStaleTempFiles, stateFilePath, writeFileAtomic } from "../../node/atomic-file.js";
import { privateKeyFromSeed, signWith, type SigningKey } from "./ed25519-node.js";
import { SigningPool } from "./signing-pool.js";

const KEY_FILE = "gateway-key.json";

interface KeyFile {
  seed: string; // base64url
  created_at_ms: number;
}

export class GatewayKey {
  private constructor(
    private readonly file: string,
    private seedBytes: Uint8Array,
    private privateKey: SigningKey,
    private readonly pool: SigningPool,
  ) {}

  /**
   * Loads the key from `stateDir`, creating (and persisting) one on first use. `pool` signs for
   * signLater (push fan-outs); without one, signLater signs on the calling thread.
   */
  static async load(stateDir: string, pool = new SigningPool(0), keyFile?: string): Promise<GatewayKey> {
    // `keyFile` (--gateway-key): the instances of a cluster share one key without sharing a state dir.
    const file = keyFile ?? stateFilePath(stateDir, KEY_FILE);
    await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
    await removeStaleTempFiles(file);
    let seed = await readSeed(file);
    if (!seed) {
      seed = randomBytes(32);
      await persist(file, seed);
    }
    const privateKey = privateKeyFromSeed(seed);
    return new GatewayKey(file, seed, privateKey, pool);
  }

  /** Loads the key file again: another instance of the cluster rotated the key they share. */
  async reload(): Promise<Uint8Array> {
    const seed = await readSeed(this.file);
    if (!seed) throw new Error(`gateway key file ${this.file} is gone`);
    this.seedBytes = seed;
    this.privateKey = privateKeyFromSeed(seed);
    return this.privateKey.publicKey;
  }

  publicKey(): Uint8Array {
    return this.privateKey.publicKey;
  }

  sign(message: Uint8Array): Uint8Array {
    return signWith(this.privateKey, message);
  }

  /** The same signature, made on the signing pool: many at once cost the main thread little. */
  signLater(message: Uint8Array): Promise<Uint8Array> {
    return this.pool.sign(this.privateKey, message);
  }

  /** The private key's 32-byte seed: for a state export only (docs/SECURITY.md). */
  seed(): Uint8Array {
    return this.seedBytes;
  }

  rotate(): Promise<Uint8Array> {
    return this.replace(randomBytes(32));
  }

  /** Persists `seed` and signs with it from then on (a rotation, or a state import); returns the public key. */
  async replace(seed: Uint8Array): Promise<Uint8Array> {
    if (seed.length !== 32) throw new Error("a gateway key seed is 32 bytes");
    await persist(this.file, seed);
    this.seedBytes = Uint8Array.from(seed);
    this.privateKey = privateKeyFromSeed(seed);
    return this.privateKey.publicKey;
  }
}

/** The seed in `file`; undefined when there is no file; throws when it cannot be used. */
async function readSeed(file: string): Promise<Uint8Array | undefined> {
  try {
    const parsed = JSON.parse(await readFile(file, "utf8")) as KeyFile;
    const seed = fromBase64Url(parsed.seed);
    if (seed.length !== 32) throw new Error("seed is not 32 bytes");
    return seed;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new Error(`gateway key file ${file} is unreadable (${(err as Error).message}); move it away to create a new key`);
  }
}

async function persist(file: string, seed: Uint8Array): Promise<void> {
  const body: KeyFile = { seed: toBase64Url(seed), created_at_ms: Date.now() };
  await writeFileAtomic(file, JSON.stringify(body) + "\n");
}
