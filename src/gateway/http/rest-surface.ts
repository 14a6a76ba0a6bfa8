// The gateway's plain-HTTP surface (PROTOCOL.md §1, §3, §7): routing and composition only.
//   /healthz, /api/v1/public/gateway/info   here
//   /api/v1/public/auth/*                   public-auth.ts (anti-abuse layer, then the backend)
//   /emulator/*                             control-plane.ts (loopback / token, same-origin, never CORS)
//   /<pkg.Service>/<Method>                 not claimed: falls through to Connect
//   anything else                           static-console.ts (the web console)
//
// Choices where the spec is silent:
// - Public auth: 405 (classification) comes before the per-IP bucket; the per-e-mail / per-challenge
//   buckets are taken after the fields validate, so malformed bodies (already IP-limited) cannot fill
//   the LRU with junk keys nor burn another caller's budget. Buckets run on `now()` (the gateway clock);
//   a clock moved backwards refills nothing. Public buckets are separate from config.rate_limits (those
//   are the §4 RPC budgets) and are cleared by POST /emulator/v1/reset.
// - The client IP is the socket peer (X-Forwarded-For is not trusted); IPv6 peers are keyed per address.
// - A JSON `charset` parameter other than UTF-8 → 415. Surrounding whitespace in `email` is tolerated
//   (as in the rate-limit key); the validated object is re-serialised before forwarding.
// - Backend answers: 2xx/4xx JSON relayed (status, body, content-type, retry-after); 5xx, other
//   statuses, non-JSON → 502; unreachable/timeout/no usable URL → 503; all `backend_unavailable`.
// - Oversize bodies: 413, then the rest is discarded and the connection (HTTP/1.1, `Connection: close`)
//   or stream (HTTP/2, RST_STREAM NO_ERROR) closed.
// - Control plane: an empty access token counts as none. Without a token the Host header must also
//   name loopback (DNS rebinding). Control-plane JSON bodies (push, config PATCH) need application/json
//   (which also forces a CORS preflight on cross-site pages). Reset answers 502/503 when the backend's
//   reset failed (the local reset is done anyway). Unknown /api/ and /emulator/ paths → 404 JSON.
// - Unexpected exceptions → 500 `internal_error` (not a PublicErrorCode: never expected to happen).
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Http2ServerRequest, Http2ServerResponse } from "node:http2";
import type { BackendRestClient } from "../backend/rest-client.js";
import type { LiveConfig } from "../config.js";
import type { FaultSet } from "../faults/fault-set.js";
import type { Journal } from "../journal.js";
import type { StateTransfer } from "../state-transfer.js";
import { toBase64Url } from "../../shared/bytes.js";
import { SUPPORTED_PROTOCOL_VERSIONS, type GatewayInfo } from "../../shared/protocol.js";
import { createControlPlane, type ControlPlaneDeps } from "./control-plane.js";
import { answerFailure, sendError, sendJson, sendMethodNotAllowed, type AnyRequest, type AnyResponse } from "./http-json.js";
import { createPublicAuth, PUBLIC_AUTH_PATHS, type PublicBuckets } from "./public-auth.js";
import type { ClusterControl } from "../cluster-control.js";
import type { RedisState } from "../redis/connection.js";
import { createStaticConsole } from "./static-console.js";

export { checkControlAccess, type AccessRequest, type AccessVerdict } from "./control-plane.js";

export interface RestSurfaceDeps {
  config: LiveConfig;
  backend: BackendRestClient;
  journal: Journal;
  faults: FaultSet;
  gatewayPublicKey(): Uint8Array;
  rotateGatewayKey(): Promise<Uint8Array>;
  keepGatewayKey?(): () => Promise<unknown>;
  /** Absent: no /emulator/v1/state (surface tests without a gateway key). */
  state?: StateTransfer;
  now(): number;
  isReady(): boolean;
  status?: ControlPlaneDeps["status"];
  /** Re-learns the backend's stubbed message types (backend/stub-types.ts). */
  refreshStubTypes?(): Promise<void>;
  /** `--record`: the recorder (GET /emulator/v1/recording, POST …/recording/stop). */
  recording?: ControlPlaneDeps["recording"];
  /** Clears this gateway's state (and, in cluster mode, the shared stores); the control plane then tells the cluster. */
  resetLocal(): void | Promise<void>;
  /** The public anti-abuse buckets (in memory, or shared in cluster mode). */
  publicBuckets?: PublicBuckets;
  /** Cluster-wide control mutations (a no-op bus outside cluster mode). */
  cluster?: ClusterControl;
  /** Cluster mode: every instance's journal entries. */
  clusterJournal?: ControlPlaneDeps["clusterJournal"];
  /** Cluster mode's Redis, for /healthz and GET /emulator/v1/config. */
  redis?: { displayUrl: string; state(): RedisState };
  accessToken?: string;
  consoleDir?: string;
  /** Serve the console's `*.map` files (off: 404). */
  consoleSourcemaps?: boolean;
}

export type RestHandler = (
  req: IncomingMessage | Http2ServerRequest,
  res: ServerResponse | Http2ServerResponse,
) => boolean;

export const HEALTHZ_PATH = "/healthz";
export const GATEWAY_INFO_PATH = "/api/v1/public/gateway/info";

/** `/<package.Service>/<Method>`: Connect, gRPC and gRPC-Web paths, left to the RPC handler. */
const RPC_PATH = /^\/[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)+\/[A-Za-z_][A-Za-z0-9_]*$/;

export function isRpcPath(path: string): boolean {
  return path.startsWith("/galaxy.") || RPC_PATH.test(path);
}

/** What a web page on another origin may call (CORS, cors.ts): the RPCs, the public REST, info, health. */
export function isPublicPath(path: string): boolean {
  return isRpcPath(path) || path === HEALTHZ_PATH || path === GATEWAY_INFO_PATH || PUBLIC_AUTH_PATHS.has(path);
}

/** The path of a request target (`/a/b?x=1` → `/a/b`). */
export function pathOf(target: string | undefined): string {
  const t = target ?? "/";
  const q = t.indexOf("?");
  return q < 0 ? t : t.slice(0, q);
}

export function createRestSurface(deps: RestSurfaceDeps): RestHandler {
  const publicAuth = createPublicAuth({
    backend: deps.backend,
    now: () => deps.now(),
    budgets: () => deps.config.get().public_rate_limits,
    buckets: deps.publicBuckets,
  });
  const controlPlane = createControlPlane({
    config: deps.config,
    backend: deps.backend,
    journal: deps.journal,
    faults: deps.faults,
    gatewayPublicKey: () => deps.gatewayPublicKey(),
    rotateGatewayKey: () => deps.rotateGatewayKey(),
    ...(deps.keepGatewayKey ? { keepGatewayKey: deps.keepGatewayKey } : {}),
    state: deps.state && {
      export: deps.state.export,
      async import(document: unknown) {
        await deps.state!.import(document);
        // The new state's e-mails and challenges start with fresh budgets (the gateway's own buckets were cleared by it).
        if (!deps.publicBuckets) await publicAuth.clear();
      },
    },
    resetLocal: async () => {
      await deps.resetLocal();
      // Buckets given by the gateway are cleared by its reset; the layer's own ones here.
      if (!deps.publicBuckets) await publicAuth.clear();
    },
    publish: (kind, payload) => deps.cluster?.publish(kind, payload) ?? Promise.resolve(),
    redisUrl: deps.redis?.displayUrl,
    clusterJournal: deps.clusterJournal,
    ...(deps.status ? { status: deps.status } : {}),
    refreshStubTypes: deps.refreshStubTypes,
    recording: deps.recording,
    accessToken: deps.accessToken,
  });
  const staticConsole = createStaticConsole(deps.consoleDir, { sourcemaps: deps.consoleSourcemaps });

  function route(req: AnyRequest, res: AnyResponse, path: string, query: URLSearchParams): Promise<void> | void {
    if (path === HEALTHZ_PATH) {
      if (req.method !== "GET" && req.method !== "HEAD") return sendMethodNotAllowed(req, res, ["GET", "HEAD"]);
      if (!deps.isReady()) return sendJson(req, res, 503, { status: "starting" });
      // Cluster mode: without Redis no signed call can pass (fail closed), so the instance is not healthy.
      const redis = deps.redis?.state();
      if (redis === undefined) return sendJson(req, res, 200, { status: "ok" });
      return sendJson(req, res, redis === "ready" ? 200 : 503, { status: redis === "ready" ? "ok" : "redis_unavailable", redis });
    }
    if (path === GATEWAY_INFO_PATH) {
      if (req.method !== "GET" && req.method !== "HEAD") return sendMethodNotAllowed(req, res, ["GET", "HEAD"]);
      const info: GatewayInfo = {
        protocol_versions: [...SUPPORTED_PROTOCOL_VERSIONS],
        response_signing_public_key: toBase64Url(deps.gatewayPublicKey()),
        freshness_window_ms: deps.config.get().freshness_window_ms,
        server_time_ms: deps.now(),
      };
      return sendJson(req, res, 200, info);
    }
    if (PUBLIC_AUTH_PATHS.has(path)) return publicAuth.handle(req, res, path);
    if (path === "/api" || path.startsWith("/api/")) return sendError(req, res, 404, "not_found", `no endpoint ${path}`);
    if (path === "/emulator" || path.startsWith("/emulator/")) return controlPlane(req, res, path, query);
    if (!path.startsWith("/")) return sendError(req, res, 404, "not_found", "request target must be a path");
    return staticConsole(req, res, path);
  }

  return (req, res) => {
    const target = req.url ?? "/";
    const path = pathOf(target);
    if (isRpcPath(path)) return false;
    const q = target.indexOf("?");
    const query = new URLSearchParams(q < 0 ? "" : target.slice(q + 1));
    try {
      const pending = route(req, res, path, query);
      if (pending) pending.catch((err: unknown) => answerFailure(req, res, err));
    } catch (err) {
      answerFailure(req, res, err);
    }
    return true;
  };
}
