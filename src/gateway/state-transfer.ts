// The emulator's whole state as one versioned JSON document (GET/PUT /emulator/v1/state, the CLI's
// --import and --export-on-exit):
//   { "version": 1, "exported_at_ms": …,
//     "gateway": { "signing_key": { "seed", "public_key" }, "config": <the live config> },
//     "backend": <the mock backend's persisted snapshot: users, sessions, challenges, mailbox, push log …> }
// The backend part is the mock's own snapshot, passed through whole (the mock checks it), so whatever
// the mock persists travels with it. The signing key's private seed is in the document on purpose: it is
// what lets a restored emulator keep the identity its clients pinned (docs/SECURITY.md).
//
// An import checks the whole document before changing anything (400 naming the first bad path), then
// applies in the order that fails least half-way:
//   1. the gateway part is validated here (config as a PATCH would be, key seed), nothing changes;
//   2. the backend part goes to the mock, which checks it whole and swaps it in at once, or refuses it
//      (400, nothing changed anywhere); the previous backend snapshot is held for step 3;
//   3. the key is written to the state dir — the one later step that can fail (disk). If it does, the
//      previous backend snapshot is put back and the import fails with nothing changed;
//   4. the key is swapped in, the config replaced, and the replay store, rate limits and session cache
//      are emptied (nothing in them is true of the new state). Synchronous: no call sees half of it.
// Imports run one at a time. The backend part goes to the backend the live config names when the
// import starts.
import { z } from "zod";
import { fromBase64Url, fromUtf8, toBase64Url, utf8 } from "../shared/bytes.js";
import { MAX_STATE_DOCUMENT_BYTES, type EmulatorConfig } from "../shared/protocol.js";
import type { BackendRestClient } from "./backend/rest-client.js";
import { ConfigError, settingName, type LiveConfig } from "./config.js";
import { callBackend, requireJsonReply } from "./http/backend-relay.js";
import { HttpError } from "./http/http-json.js";
import type { GatewayKey } from "./signing/gateway-key.js";
import { publicKeyFromSeed } from "../shared/ed25519.js";

export const STATE_DOCUMENT_VERSION = 1;
export const STATE_PATH = "/emulator/v1/state";

export interface StateDocument {
  version: typeof STATE_DOCUMENT_VERSION;
  exported_at_ms: number;
  gateway: { signing_key: { seed: string; public_key: string }; config: EmulatorConfig };
  backend: Record<string, unknown>;
}

export interface StateTransfer {
  export(): Promise<StateDocument>;
  /** Throws HttpError: 400 invalid_request `path: reason` for a bad document (nothing changed). */
  import(document: unknown): Promise<void>;
}

export interface StateTransferDeps {
  backend: BackendRestClient;
  config: LiveConfig;
  key: GatewayKey;
  /** Forgets what the new state makes untrue: replay ids, rate-limit buckets, cached sessions. */
  resetLocal(): void | Promise<void>;
}

const seed = z.string().refine((text) => decodesTo32Bytes(text), { error: "must be base64url (no padding) of 32 bytes" });
const envelope = z.strictObject({
  version: z.literal(STATE_DOCUMENT_VERSION, { error: `must be ${STATE_DOCUMENT_VERSION}` }),
  exported_at_ms: z.number().int().min(0).optional(),
  gateway: z.strictObject({
    signing_key: z.strictObject({ seed, public_key: z.string().optional() }),
    config: z.record(z.string(), z.unknown(), { error: "must be a JSON object" }),
  }),
  backend: z.record(z.string(), z.unknown(), { error: "must be a JSON object" }),
});

function decodesTo32Bytes(text: string): boolean {
  try {
    return fromBase64Url(text).length === 32;
  } catch {
    return false;
  }
}

function invalid(path: readonly PropertyKey[], reason: string): HttpError {
  return new HttpError(400, "invalid_request", `${settingName(path)}: ${reason}`);
}

export function createStateTransfer(deps: StateTransferDeps): StateTransfer {
  let queue: Promise<unknown> = Promise.resolve();

  async function backendSnapshot(): Promise<Record<string, unknown>> {
    const reply = await callBackend(deps.backend, "GET", STATE_PATH, { maxResponseBytes: MAX_STATE_DOCUMENT_BYTES });
    if (reply.status === 404) throw unsupported();
    const bytes = requireJsonReply(reply);
    if (reply.status !== 200) throw new HttpError(502, "backend_unavailable", `the backend refused its state (HTTP ${reply.status})`);
    return JSON.parse(fromUtf8(bytes)) as Record<string, unknown>;
  }

  /** PUTs a backend snapshot; a refusal is a 400 naming the path under `backend`. */
  async function putBackend(snapshot: unknown): Promise<void> {
    const reply = await callBackend(deps.backend, "PUT", STATE_PATH, { body: utf8(JSON.stringify(snapshot)) });
    if (reply.status === 404) throw unsupported();
    const answer = JSON.parse(fromUtf8(requireJsonReply(reply))) as { error?: { message?: string } };
    if (reply.status === 400) throw new HttpError(400, "invalid_request", `backend.${answer.error?.message ?? "refused"}`);
    if (reply.status !== 200) throw new HttpError(502, "backend_unavailable", `the backend refused the state (HTTP ${reply.status})`);
  }

  async function importNow(document: unknown): Promise<void> {
    const parsed = envelope.safeParse(document);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const path = issue.code === "unrecognized_keys" ? [...issue.path, issue.keys[0]!] : issue.path;
      throw invalid(path, issue.code === "unrecognized_keys" ? "unknown field" : issue.message);
    }
    const doc = parsed.data;
    const newSeed = fromBase64Url(doc.gateway.signing_key.seed);
    const publicKey = toBase64Url(publicKeyFromSeed(newSeed));
    if (doc.gateway.signing_key.public_key !== undefined && doc.gateway.signing_key.public_key !== publicKey) {
      throw invalid(["gateway", "signing_key", "public_key"], "is not the public key of seed");
    }
    let config: EmulatorConfig;
    try {
      config = deps.config.candidate(doc.gateway.config, (path) => settingName(["gateway", "config", ...path]));
    } catch (err) {
      if (err instanceof ConfigError) throw new HttpError(400, "invalid_request", err.message);
      throw err;
    }

    const previous = await backendSnapshot();
    await putBackend(doc.backend);
    try {
      await deps.key.replace(newSeed);
    } catch (err) {
      try {
        await putBackend(previous);
      } catch (rollback) {
        throw new HttpError(
          500,
          "internal_error",
          `state import failed half-way: the backend has the new state, the gateway the old one (key not written: ${messageOf(err)}; backend not restored: ${messageOf(rollback)})`,
        );
      }
      throw new HttpError(500, "internal_error", `the gateway key could not be written (${messageOf(err)}); nothing changed`);
    }
    deps.config.replace(config);
    await deps.resetLocal();
  }

  return {
    async export() {
      const backend = await backendSnapshot();
      return {
        version: STATE_DOCUMENT_VERSION,
        exported_at_ms: Date.now(),
        gateway: {
          signing_key: { seed: toBase64Url(deps.key.seed()), public_key: toBase64Url(deps.key.publicKey()) },
          config: deps.config.get(),
        },
        backend,
      };
    },
    import(document) {
      const run = queue.then(() => importNow(document));
      queue = run.catch(() => {});
      return run;
    },
  };
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function unsupported(): HttpError {
  return new HttpError(501, "unsupported_by_backend", `the backend does not serve ${STATE_PATH} (only the mock backend does)`);
}
