// The emulator control plane (PROTOCOL.md §7 + ARCHITECTURE.md additions) under /emulator/v1/.
// Access rule first, then the same-origin rule, then routing. Never any CORS allowance.
import type { BackendRestClient } from "../backend/rest-client.js";
import { ConfigError, settingName, type LiveConfig } from "../config.js";
import { FaultError } from "../faults/fault-spec.js";
import type { FaultSet, FaultView } from "../faults/fault-set.js";
import type { Journal } from "../journal.js";
import { StoreUnavailableError } from "../store-unavailable.js";
import { toBase64Url } from "../../shared/bytes.js";
import { errorCodeOf, parseJsonText } from "../../shared/json-error.js";
import { MAX_STATE_DOCUMENT_BYTES, type EmulatorConfig, type EmulatorStatus, type JournalEntry } from "../../shared/protocol.js";
import type { StateTransfer } from "../state-transfer.js";
import type { RecordingStatus } from "../recording/recorder.js";
import { callBackend, requireJsonReply } from "./backend-relay.js";
import { validateSeededSession } from "./public-auth.js";
import { secretsMatch } from "../../node/secret-token.js";
import { isLoopbackAddress, isLoopbackHost } from "../../node/loopback.js";
import {
  HttpError,
  parseJson,
  readBoundedBody,
  readJsonObject,
  requireJsonContentType,
  responseStream,
  sendError,
  sendJson,
  sendJsonBytes,
  sendMethodNotAllowed,
  type AnyRequest,
  type AnyResponse,
} from "./http-json.js";

export const CONTROL_PREFIX = "/emulator/v1/";
export const MAX_CONTROL_BODY_BYTES = 64 * 1024;
export const MAX_JOURNAL_WAIT_MS = 30_000;
/** Entries per journal answer: the in-memory journal's own page size (Journal.after). */
const JOURNAL_PAGE = 1_000;

export interface AccessRequest {
  remoteAddress: string | undefined;
  authorization: string | undefined;
  origin: string | undefined;
  /** Host header (or HTTP/2 :authority). */
  host: string | undefined;
  /** Arrived over TLS (`--tls-cert`): the console's own origin is then `https://<Host>`. */
  encrypted?: boolean;
}

export type AccessVerdict =
  | { ok: true }
  | { ok: false; status: 401 | 403; code: "unauthorized" | "forbidden"; message: string };

/**
 * The control plane's access rule.
 * - Token configured (non-empty): `Authorization: Bearer <token>` from any address, else 401.
 * - No token: loopback peers only (else 403), and the Host header must name loopback too (else 403):
 *   a DNS-rebinding page is same-origin with its own host name, so the Origin rule alone cannot stop it.
 * Then, either way: an Origin header that is not exactly `http://<Host>` (over TLS `https://<Host>`) → 403
 * (drive-by pages).
 */
export function checkControlAccess(r: AccessRequest, accessToken: string | undefined): AccessVerdict {
  if (accessToken) {
    const m = /^Bearer +(\S+) *$/i.exec(r.authorization ?? "");
    if (!m || !secretsMatch(m[1]!, accessToken)) {
      return { ok: false, status: 401, code: "unauthorized", message: "the control plane requires Authorization: Bearer <token>" };
    }
  } else {
    if (!isLoopbackAddress(r.remoteAddress)) {
      return { ok: false, status: 403, code: "forbidden", message: "the control plane answers loopback callers only" };
    }
    if (!isLoopbackHost(r.host)) {
      return { ok: false, status: 403, code: "forbidden", message: "the control plane answers requests addressed to a loopback host only" };
    }
  }
  if (r.origin !== undefined) {
    const own = r.host ? `${r.encrypted ? "https" : "http"}://${r.host}`.toLowerCase() : undefined;
    if (own === undefined || r.origin.trim().toLowerCase() !== own) {
      return { ok: false, status: 403, code: "forbidden", message: "cross-origin requests to the control plane are refused" };
    }
  }
  return { ok: true };
}

export function accessRequestOf(req: AnyRequest): AccessRequest {
  const h = req.headers;
  const authority = (h as Record<string, string | string[] | undefined>)[":authority"];
  return {
    remoteAddress: req.socket?.remoteAddress,
    authorization: h.authorization,
    origin: typeof h.origin === "string" ? h.origin : undefined,
    host: h.host ?? (typeof authority === "string" ? authority : undefined),
    // The connection's own property (a TLSSocket's), never a header the client chose (:scheme).
    encrypted: (req.socket as { encrypted?: boolean } | undefined)?.encrypted === true,
  };
}

export interface ControlPlaneDeps {
  config: LiveConfig;
  backend: BackendRestClient;
  journal: Journal;
  faults: FaultSet;
  /** The response-signing public key now (what a state import announces to the cluster). */
  gatewayPublicKey(): Uint8Array;
  rotateGatewayKey(): Promise<Uint8Array>;
  /** Remembers the key signing now; the function it answers writes that key back (a rotation the cluster could not be told of). */
  keepGatewayKey?(): () => Promise<unknown>;
  /** GET/PUT state (state-transfer.ts); absent: no such endpoint. */
  state?: StateTransfer;
  resetLocal(): void | Promise<void>;
  /** GET /emulator/v1/status: the gateway's measurements (emulator-status.ts); absent: no such endpoint. */
  status?(): Promise<EmulatorStatus>;
  /** Re-learns the backend's stubbed message types (after a stubs change or a reset). */
  refreshStubTypes?(): Promise<void>;
  /** `--record`: this gateway's recorder; absent: the playing-back mock (or nothing) answers GET recording. */
  recording?: { status(): RecordingStatus; stop(): Promise<RecordingStatus> };
  /** Tells the other instances of a cluster about a change made here (cluster-control.ts); resolves at once outside cluster mode. */
  publish(kind: string, payload: unknown): Promise<void>;
  /** Cluster mode's Redis (password hidden): shown by GET config, refused by PATCH. */
  redisUrl?: string;
  /** Cluster mode: every instance's journal entries (`GET journal?scope=cluster`). */
  clusterJournal?: { read(after: number, limit: number, waitMs: number, signal: AbortSignal): Promise<JournalEntry[]> };
  accessToken?: string;
}

/**
 * Tells the cluster about a change this instance is about to make. A change that cannot reach the
 * cluster changes nothing: callers validate and compute the result first, publish it, and only then
 * apply it here; if Redis cannot take it, 503 and the caller can repeat it once Redis is back.
 */
async function publishOr503(deps: ControlPlaneDeps, kind: string, payload: unknown): Promise<void> {
  try {
    await deps.publish(kind, payload);
  } catch (err) {
    throw new HttpError(503, "cluster_unavailable", `nothing was changed: the cluster (Redis) could not be told (${err instanceof Error ? err.message : String(err)})`);
  }
}

/**
 * After a state import on this instance (and the backend, which the cluster shares): the other instances
 * take its config, load its key from the shared key file and forget their cached sessions. Unlike the
 * other changes this one cannot be told first (the key file must hold the key before they load it), so
 * a failure says what holds where.
 */
async function tellClusterOfImport(deps: ControlPlaneDeps): Promise<void> {
  try {
    await deps.publish("config", deps.config.get());
    await deps.publish("state-imported", { response_signing_public_key: toBase64Url(deps.gatewayPublicKey()) });
  } catch (err) {
    throw new HttpError(
      503,
      "cluster_unavailable",
      `the state was imported on this instance and the backend, but the other instances could not be told (${err instanceof Error ? err.message : String(err)}): they keep the old key, config and cached sessions; import it again once Redis is back`,
    );
  }
}

/** The config as GET and PATCH answer it: in cluster mode with the (password-less) Redis URL beside it. */
function withRedis(deps: ControlPlaneDeps, config: EmulatorConfig): EmulatorConfig & { redis?: string } {
  return deps.redisUrl === undefined ? config : { ...config, redis: deps.redisUrl };
}

/** A shared store (cluster mode's Redis) failed under a control-plane request: 503. */
function storeFailureTo503(err: unknown): never {
  if (err instanceof StoreUnavailableError) throw new HttpError(503, "cluster_unavailable", err.message);
  throw err;
}

type Endpoint = Partial<Record<string, (req: AnyRequest, res: AnyResponse, query: URLSearchParams) => Promise<void> | void>>;

/** The 404 code by which the mock says "no such stub", which is not "no such endpoint" (→ 501). */
const STUB_NOT_FOUND = "stub_not_found";

/** Parses an optional non-negative integer query parameter; throws 400 naming it. */
function intParam(query: URLSearchParams, name: string, max: number, fallback: number): number {
  const text = query.get(name);
  if (text === null) return fallback;
  if (!/^\d{1,16}$/.test(text) || Number(text) > max) {
    throw new HttpError(400, "invalid_request", `${name} must be an integer from 0 to ${max}`);
  }
  return Number(text);
}

/** Returns the handler for paths under /emulator/ (answers asynchronously; failures reject). */
export function createControlPlane(deps: ControlPlaneDeps) {
  /**
   * Mailbox, push and stubs exist on the mock backend only: a real backend's 404 → 501 (the mock's
   * own "no such stub" passes). The backend's status and JSON answer.
   */
  async function askMock(method: string, path: string, query?: string, body?: unknown): Promise<{ status: number; json: Buffer }> {
    const reply = await callBackend(deps.backend, method, path, {
      ...(query ? { query } : {}),
      ...(body !== undefined
        ? { body: Buffer.from(JSON.stringify(body)), headers: { "content-type": "application/json" } }
        : {}),
    });
    if (reply.status === 404 && errorCodeOf(parseJsonText(reply.body.toString("utf8"))) !== STUB_NOT_FOUND) {
      throw new HttpError(501, "unsupported_by_backend", `the backend does not serve ${path} (only the mock backend does)`);
    }
    return { status: reply.status, json: requireJsonReply(reply) };
  }

  /** The faults with one fault or an array added (all or none), not yet applied; a bad one → 400 naming the JSON path of the first problem. */
  function withFaultsAdded(value: unknown): { ids: string[]; views: FaultView[] } {
    try {
      return deps.faults.withAdded(value);
    } catch (err) {
      if (err instanceof FaultError) throw new HttpError(400, "invalid_request", `invalid fault: ${err.message}`);
      throw err;
    }
  }

  async function forwardToMock(req: AnyRequest, res: AnyResponse, method: string, path: string, query?: string, body?: unknown): Promise<void> {
    const { status, json } = await askMock(method, path, query, body);
    sendJsonBytes(req, res, status, json);
  }

  /** Forwards a stubs change; once the mock took it, the routing stage learns the stubbed types, then the caller is answered. */
  async function changeStubs(req: AnyRequest, res: AnyResponse, method: string, path: string, body?: unknown): Promise<void> {
    const { status, json } = await askMock(method, path, undefined, body);
    if (status >= 200 && status < 300) await deps.refreshStubTypes?.();
    sendJsonBytes(req, res, status, json);
  }

  const stubEndpoint = (encodedId: string): Endpoint => {
    const path = `/emulator/v1/stubs/${encodedId}`;
    return {
      GET: (req, res) => forwardToMock(req, res, "GET", path),
      DELETE: (req, res) => changeStubs(req, res, "DELETE", path),
    };
  };

  const routes: Record<string, Endpoint> = {
    mailbox: {
      GET: (req, res, query) => {
        const email = query.get("email");
        return forwardToMock(req, res, "GET", "/emulator/v1/mailbox", email === null ? undefined : `email=${encodeURIComponent(email)}`);
      },
    },
    push: {
      POST: async (req, res) => {
        const { value } = await readJsonObject(req, MAX_CONTROL_BODY_BYTES);
        await forwardToMock(req, res, "POST", "/emulator/v1/push", undefined, value);
      },
    },
    stubs: {
      GET: (req, res) => forwardToMock(req, res, "GET", "/emulator/v1/stubs"),
      // One mapping or an array of them: any JSON value, validated by the mock.
      POST: async (req, res) => {
        requireJsonContentType(req);
        const value = parseJson(await readBoundedBody(req, MAX_CONTROL_BODY_BYTES));
        await changeStubs(req, res, "POST", "/emulator/v1/stubs", value);
      },
      DELETE: (req, res) => changeStubs(req, res, "DELETE", "/emulator/v1/stubs"),
    },
    scenarios: {
      GET: (req, res) => forwardToMock(req, res, "GET", "/emulator/v1/scenarios"),
    },
    // Record and play back (README): the recorder lives here; a playback lives in the mock backend.
    recording: {
      GET: async (req, res) => {
        if (deps.recording) return sendJson(req, res, 200, deps.recording.status());
        // Only the mock plays back: a real backend is not even asked.
        const off = { mode: "off", recording: false };
        if (deps.config.get().backend !== "mock") return sendJson(req, res, 200, off);
        const reply = await callBackend(deps.backend, "GET", "/emulator/v1/playback");
        if (reply.status === 404) return sendJson(req, res, 200, off);
        sendJsonBytes(req, res, reply.status, requireJsonReply(reply));
      },
    },
    "recording/stop": {
      POST: async (req, res) => {
        if (!deps.recording) throw new HttpError(409, "not_recording", "this emulator is not recording (start it with --backend URL --record DIR)");
        sendJson(req, res, 200, await deps.recording.stop());
      },
    },
    "recording/replay-pushes": {
      POST: async (req, res) => {
        const { value } = await readJsonObject(req, MAX_CONTROL_BODY_BYTES);
        const reply = await callBackend(deps.backend, "POST", "/emulator/v1/playback/replay-pushes", {
          body: Buffer.from(JSON.stringify(value)),
          headers: { "content-type": "application/json" },
        });
        if (reply.status === 404) {
          throw new HttpError(409, "not_playing_back", "recorded pushes are replayed by a playback (start the emulator with --playback DIR)");
        }
        sendJsonBytes(req, res, reply.status, requireJsonReply(reply));
      },
    },
    "scenarios/reset": {
      POST: (req, res) => forwardToMock(req, res, "POST", "/emulator/v1/scenarios/reset", undefined, {}),
    },
    reset: {
      POST: async (req, res) => {
        // Told first (a reset the cluster cannot hear of resets nothing); the other instances reset
        // what they hold, this one the shared stores too.
        await publishOr503(deps, "reset", {});
        await publishOr503(deps, "faults", []); // a late-joining instance must not take back the faults a reset removed
        await Promise.resolve(deps.resetLocal()).catch(storeFailureTo503);
        try {
          const reply = await callBackend(deps.backend, "POST", "/emulator/v1/reset", {
            body: Buffer.from("{}"),
            headers: { "content-type": "application/json" },
          });
          // A real backend has no reset: its 404 is fine, the local reset is done.
          if (reply.status !== 404) requireJsonReply(reply);
          if (reply.status !== 404 && (reply.status < 200 || reply.status > 299)) {
            throw new HttpError(502, "backend_unavailable", `the backend refused (HTTP ${reply.status})`);
          }
        } catch (err) {
          if (!(err instanceof HttpError)) throw err;
          throw new HttpError(err.status, err.code, `local state was reset, the backend's was not: ${err.message}`);
        }
        await deps.refreshStubTypes?.(); // the mock's reset cleared its stubs
        sendJson(req, res, 200, {});
      },
    },
    journal: {
      GET: async (req, res, query) => {
        const after = intParam(query, "after", Number.MAX_SAFE_INTEGER, 0);
        const waitMs = intParam(query, "wait_ms", MAX_JOURNAL_WAIT_MS, 0);
        const scope = query.get("scope") ?? "instance";
        if (scope !== "instance" && scope !== "cluster") throw new HttpError(400, "invalid_request", 'scope must be "instance" or "cluster"');
        const cluster = scope === "cluster" ? deps.clusterJournal : undefined;
        if (scope === "cluster" && !cluster) throw new HttpError(400, "invalid_request", "scope=cluster needs cluster mode (--redis)");
        const aborter = new AbortController();
        const onClose = () => aborter.abort();
        const out = responseStream(res);
        out.once("close", onClose);
        try {
          const entries = cluster
            ? await cluster.read(after, JOURNAL_PAGE, waitMs, aborter.signal).catch((err: unknown) => {
                throw new HttpError(503, "cluster_unavailable", `the cluster's journal (Redis) cannot be read: ${err instanceof Error ? err.message : String(err)}`);
              })
            : await deps.journal.waitAfter(after, waitMs, aborter.signal);
          if (!aborter.signal.aborted) sendJson(req, res, 200, { entries });
        } finally {
          out.off("close", onClose);
        }
      },
      // Empties the journal (and, at the next group commit, its file); seq goes on, so a follower's
      // `after` stays valid.
      DELETE: (req, res) => {
        deps.journal.clear();
        sendJson(req, res, 200, {});
      },
    },
    ...(deps.status ? { status: { GET: async (req: AnyRequest, res: AnyResponse) => sendJson(req, res, 200, await deps.status!()) } } : {}),
    config: {
      // `redis` (cluster mode only): fixed at startup (--redis), shown here, not a setting.
      GET: (req, res) => sendJson(req, res, 200, withRedis(deps, deps.config.get())),
      PATCH: async (req, res) => {
        const { value } = await readJsonObject(req, MAX_CONTROL_BODY_BYTES);
        if (Object.hasOwn(value, "redis")) {
          throw new HttpError(400, "invalid_request", "redis: fixed for the gateway's life (the --redis flag); restart every instance with the new URL to change it");
        }
        let next;
        try {
          next = deps.config.preview(value);
        } catch (err) {
          if (!(err instanceof ConfigError)) throw err;
          // `issues` name each refused setting as GET spells it, so a form can mark the field.
          const issues = err.issues.map((i) => ({ setting: settingName(i.path), message: i.message }));
          return sendJson(req, res, 400, { error: { code: "invalid_request", message: err.message, issues } });
        }
        await publishOr503(deps, "config", next);
        sendJson(req, res, 200, withRedis(deps, deps.config.replace(next)));
      },
    },
    sessions: {
      // Seeding for tests: a device session without the e-mail round trip. The fields are checked
      // by the very rules of confirm-email-code (public-auth.ts), then the mock creates the session.
      POST: async (req, res) => {
        const { value } = await readJsonObject(req, MAX_CONTROL_BODY_BYTES);
        const body = validateSeededSession(value);
        await forwardToMock(req, res, "POST", "/emulator/v1/sessions", undefined, body);
      },
    },
    ...(deps.state && {
      state: {
        GET: async (req: AnyRequest, res: AnyResponse) => sendJson(req, res, 200, await deps.state!.export()),
        PUT: async (req: AnyRequest, res: AnyResponse) => {
          const { value } = await readJsonObject(req, MAX_STATE_DOCUMENT_BYTES);
          await deps.state!.import(value);
          await tellClusterOfImport(deps);
          sendJson(req, res, 200, {});
        },
      },
    }),
    faults: {
      GET: (req, res) => sendJson(req, res, 200, { faults: deps.faults.list() }),
      POST: async (req, res) => {
        requireJsonContentType(req);
        const value = parseJson(await readBoundedBody(req, MAX_CONTROL_BODY_BYTES));
        const { ids, views } = withFaultsAdded(value);
        await publishOr503(deps, "faults", views);
        deps.faults.replaceAll(views);
        sendJson(req, res, 200, Array.isArray(value) ? { ids } : { id: ids[0] });
      },
      DELETE: async (req, res) => {
        await publishOr503(deps, "faults", []);
        const removed = deps.faults.clear();
        sendJson(req, res, 200, { removed });
      },
    },
    "gateway-key/rotate": {
      POST: async (req, res) => {
        // The other instances load the new key from the shared key file, so it is written first; if the
        // cluster cannot be told, the previous key is written back (docs/ARCHITECTURE.md, cluster mode).
        const putBack = deps.keepGatewayKey?.();
        const key = await deps.rotateGatewayKey();
        try {
          await publishOr503(deps, "gateway-key", { response_signing_public_key: toBase64Url(key) });
        } catch (err) {
          if (!putBack) throw err;
          await putBack().catch((writeErr: unknown) => {
            throw new HttpError(
              503,
              "cluster_unavailable",
              `the cluster (Redis) could not be told of the rotation, and the previous key could not be written back (${writeErr instanceof Error ? writeErr.message : String(writeErr)}): the key file and this instance hold the new key, the other instances the old one until they restart; rotate again once Redis is back`,
            );
          });
          throw err;
        }
        sendJson(req, res, 200, { response_signing_public_key: toBase64Url(key) });
      },
    },
  };

  /** Endpoints with one path parameter (the decoded last segment), by prefix. */
  const itemRoutes: Record<string, (id: string) => Endpoint> = {
    "stubs/": (id) => stubEndpoint(encodeURIComponent(id)),
    "faults/": (id) => ({
      GET: (req, res) => {
        const fault = deps.faults.get(id);
        if (!fault) throw new HttpError(404, "not_found", `no fault "${id}"`);
        sendJson(req, res, 200, fault);
      },
      DELETE: async (req, res) => {
        if (!deps.faults.get(id)) throw new HttpError(404, "not_found", `no fault "${id}"`);
        await publishOr503(deps, "faults", deps.faults.list().filter((f) => f.id !== id));
        deps.faults.remove(id);
        sendJson(req, res, 200, {});
      },
    }),
  };

  function itemEndpoint(name: string): Endpoint | undefined {
    const slash = name.lastIndexOf("/") + 1;
    const prefix = name.slice(0, slash);
    if (slash === name.length || !Object.hasOwn(itemRoutes, prefix)) return undefined;
    let id: string;
    try {
      id = decodeURIComponent(name.slice(slash));
    } catch {
      return undefined; // not a valid percent-encoding: no such item
    }
    return itemRoutes[prefix]!(id);
  }

  return async function handle(req: AnyRequest, res: AnyResponse, path: string, query: URLSearchParams): Promise<void> {
    const verdict = checkControlAccess(accessRequestOf(req), deps.accessToken);
    if (!verdict.ok) return sendError(req, res, verdict.status, verdict.code, verdict.message);
    const name = path.startsWith(CONTROL_PREFIX) ? path.slice(CONTROL_PREFIX.length) : undefined;
    const endpoint = name === undefined ? undefined : Object.hasOwn(routes, name) ? routes[name] : itemEndpoint(name);
    if (!endpoint) return sendError(req, res, 404, "not_found", `no control-plane endpoint ${path}`);
    const method = req.method ?? "";
    const run = Object.hasOwn(endpoint, method) ? endpoint[method] : undefined;
    if (!run) return sendMethodNotAllowed(req, res, Object.keys(endpoint));
    await run(req, res, query);
  };
}
