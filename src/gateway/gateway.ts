// Composition of the gateway: config, key, stores, pipelines, push hub and dispatcher, the REST
// surface and the Connect handler on one listener. Shutdown follows §5.5: push hub first, then HTTP.
import { randomUUID } from "node:crypto";
import { createContextValues } from "@connectrpc/connect";
import { EdgeGateway } from "../shared/gen/galaxy/gateway/v1/gateway_pb.js";
import { Health } from "../shared/gen/grpc/health/v1/health_pb.js";
import { sha256Node } from "../node/sha256.js";
import { createBackendRestClient, DEFAULT_BACKEND_TIMEOUT_MS } from "./backend/rest-client.js";
import { SessionLookup } from "./backend/session-lookup.js";
import { StubTypes } from "./backend/stub-types.js";
import { LiveConfig, type SettingsPatch } from "./config.js";
import type { EmulatorConfig } from "../shared/protocol.js";
import { toBase64Url } from "../shared/bytes.js";
import { clientIpKey, edgeGatewayRoutes } from "./edge-service.js";
import { createCors } from "./http/cors.js";
import { FaultSet, type FaultView } from "./faults/fault-set.js";
import { createRestSurface } from "./http/rest-surface.js";
import { emulatorStatus } from "./emulator-status.js";
import { Journal } from "./journal.js";
import { JournalFile } from "./journal-file.js";
import { listen, type ListenerLimits, type TlsCredentials, DEFAULT_LISTENER_LIMITS } from "./listener.js";
import { TurnBudget } from "./loop-turn.js";
import { buildPipelines, TURN_BUDGET_MS } from "./pipeline.js";
import { PushDispatcher } from "./push/dispatcher.js";
import { Recorder, type RecordOptions } from "./recording/recorder.js";
import { DEFAULT_PUSH_LIMITS, PushHub, type PushLimits } from "./push/push-hub.js";
import { ClusterControl } from "./cluster-control.js";
import { createRpcHandler } from "./rpc-adapter.js";
import { healthRoutes, ServingState } from "./services/health.js";
import { reflectionRoutes } from "./services/reflection.js";
import { createShutdownController } from "./shutdown-signal.js";
import { Ed25519Verifier } from "./signing/ed25519-node.js";
import { GatewayKey } from "./signing/gateway-key.js";
import { createStateTransfer, type StateTransfer } from "./state-transfer.js";
import { SigningPool } from "./signing/signing-pool.js";
import { checkRedisUrl, localStores, redisStores } from "./stores.js";

/** Envelope + 64 KiB payload + signature fit well below this; larger messages are refused unread. */
export const MAX_RPC_MESSAGE_BYTES = 80 * 1024;
export const DEFAULT_DRAIN_MS = 5_000;
/** Worker threads that sign push fan-outs (signing-pool.ts); 0 signs on the main thread. */
export const DEFAULT_SIGNING_THREADS = 1;

export interface GatewayOptions {
  host?: string;
  port?: number;
  stateDir: string;
  /** Initial settings (backend "mock" or a URL, freshness window …): a PATCH over the defaults; bad ones throw ConfigError. */
  config?: SettingsPatch;
  /** What the backend setting "mock" resolves to; absent: "mock" is refused. */
  mockBackendUrl?: string;
  /** The mock backend's token, sent to it (only) while the backend setting is "mock". */
  mockBackendToken?: string;
  /** A token for a backend given by URL, sent to whatever URL the backend setting names. */
  backendToken?: string;
  accessToken?: string;
  consoleDir?: string;
  /** Serve the console's `*.map` files (`--console-sourcemaps`); off: 404. */
  consoleSourcemaps?: boolean;
  /** Serve HTTPS and h2 over TLS (ALPN) on the one port instead of cleartext. */
  tls?: TlsCredentials;
  gatewayId?: string;
  /** Listener, push-stream and backend-call limits; defaults in docs/SECURITY.md. */
  limits?: Partial<GatewayLimits>;
  /** Worker threads signing push fan-outs; default DEFAULT_SIGNING_THREADS, 0 = the main thread. */
  signingThreads?: number;
  /** Called with push-stream errors (the dispatcher reconnects by itself). */
  onPushError?: (err: unknown) => void;
  /** A state document (state-transfer.ts) imported before the listener accepts a call; a bad one throws. */
  importState?: unknown;
  /** Faults injected from the start (`--faults FILE`): one or an array; a bad one throws FaultError (faults/fault-spec.ts). */
  faults?: unknown;
  /**
   * Cluster mode: the replay store, token buckets and remembered revocations live in this Redis
   * (redis://…), and control-plane changes reach every gateway using it. Fixed for the gateway's life.
   */
  redis?: string;
  /** The response-signing key file (default: gateway-key.json in stateDir); a cluster's gateways share one. */
  gatewayKeyFile?: string;
  /** Called with Redis connection errors and failed cluster-wide applies (all retried by themselves). */
  onClusterError?: (err: unknown) => void;
  /** `--record DIR`: every exchange with the backend is recorded into `record.dir` (recording/recorder.ts). */
  record?: RecordOptions;
}

export interface BackendLimits {
  /** Deadline of each backend REST call, and of the push stream's response headers. */
  backendTimeoutMs: number;
}

export type GatewayLimits = ListenerLimits & PushLimits & BackendLimits;

export interface RunningGateway {
  url: string;
  port: number;
  config: LiveConfig;
  /** Names this gateway: its push-stream subscriber id, and in cluster mode its journal entries. */
  instanceId: string;
  publicKey(): Uint8Array;
  /** GET/PUT /emulator/v1/state in-process (the CLI's --export-on-exit). */
  state: StateTransfer;
  close(drainMs?: number): Promise<void>;
}

export async function startGateway(options: GatewayOptions): Promise<RunningGateway> {
  const host = options.host ?? "127.0.0.1";
  const mockUrl = options.mockBackendUrl;
  // The initial settings go through the same validation and check as every PATCH (bad ones throw
  // ConfigError): "mock" needs a mock backend to point at.
  const config = new LiveConfig(options.config, (candidate) =>
    candidate.backend === "mock" && !mockUrl
      ? { path: ["backend"], message: "no mock backend runs in this emulator (it was started with a backend URL)" }
      : undefined,
  );

  const backendUrl = () => {
    const target = config.get().backend;
    return target === "mock" ? mockUrl! : target;
  };
  // The mock's per-process token never leaves for a URL backend, nor a URL backend's token for the mock.
  const backendToken = () => (config.get().backend === "mock" ? options.mockBackendToken : options.backendToken);
  // Faults live in the gateway, not persisted; the initial ones are validated before anything starts.
  const faults = new FaultSet();
  if (options.faults !== undefined) faults.add(options.faults);
  const signingPool = new SigningPool(options.signingThreads ?? DEFAULT_SIGNING_THREADS);
  const key = await GatewayKey.load(options.stateDir, signingPool, options.gatewayKeyFile);
  const backendTimeoutMs = options.limits?.backendTimeoutMs ?? DEFAULT_BACKEND_TIMEOUT_MS;
  // Opened before anything talks to the backend, so the recording starts with the first exchange.
  const recorder = options.record ? await Recorder.open(options.record, backendUrl()).catch(async (err: unknown) => {
    await signingPool.close();
    throw err;
  }) : undefined;
  const backend = createBackendRestClient(backendUrl, {
    timeoutMs: backendTimeoutMs,
    token: backendToken,
    faults: (path, subject) => faults.backendFault(path, subject),
    ...(recorder ? { observe: (method, path, init, reply) => recorder.backendExchange(method, path, init, reply) } : {}),
  });
  const stubTypes = new StubTypes(backend);
  const now = () => Date.now() + config.get().clock_offset_ms;
  const onClusterError = options.onClusterError ?? (() => {});
  const stores = await (options.redis === undefined ? Promise.resolve(localStores(now())) : redisStores(checkRedisUrl(options.redis), now, onClusterError)).catch(
    async (err: unknown) => {
      backend.close();
      await recorder?.close();
      await signingPool.close();
      throw err;
    },
  );
  const { replay, limiter, publicBuckets } = stores;
  const sessions = new SessionLookup(backend, stores.revocations);
  const gatewayId = options.gatewayId ?? `gateway-${randomUUID()}`;
  const journal = new Journal();
  const journalFile = new JournalFile(options.stateDir, journal);
  await journalFile.open();
  const { journalMirror } = stores;
  // Bodies stay on the instance (GET journal there): up to 32 KiB an entry, 5,000 entries would hold
  // 160 MB of Redis; the cluster view says what happened where, in order.
  if (journalMirror) journal.mirrorTo(({ request_body: _request, response_body: _response, ...entry }) => journalMirror.append(entry));
  const { streamQueueEvents, streamQueueBytes, streamsPerSession, totalStreams } = { ...DEFAULT_PUSH_LIMITS, ...options.limits };
  const hub = new PushHub({ streamQueueEvents, streamQueueBytes, streamsPerSession, totalStreams });
  const verifier = new Ed25519Verifier();
  const { name: ed25519Engine, whyNotLibsodium } = verifier.engine;
  // Correct either way, but node:crypto takes about twice the CPU per call: say so where it is seen.
  if (whyNotLibsodium) console.warn(`gateway: Ed25519 on node:crypto, not libsodium: ${whyNotLibsodium}`);
  const pipelines = buildPipelines({ config, sessions, verifier, replay, limiter, backend, stubTypes, backendTimeoutMs, faults });

  const dispatcher = new PushDispatcher(
    gatewayId,
    {
      clientEvent: (userId, deviceSessionId, eventType, eventId, payloadBytes) =>
        hub.deliver(userId, deviceSessionId, { eventType, eventId, payloadBytes, payloadHash: sha256Node(payloadBytes) }),
      sessionInvalidation: (userId, deviceSessionId) => {
        sessions.invalidate(userId, deviceSessionId, Date.now());
        hub.invalidate(userId, deviceSessionId);
      },
      connectionChanged: (connected) => {
        sessions.setCacheEnabled(connected);
        // A (re)connected push stream may be a restarted backend, with other stubs.
        if (connected) void stubTypes.refresh();
      },
    },
    options.onPushError,
    { connectTimeoutMs: backendTimeoutMs, outage: () => faults.outage(), ...(recorder ? { observe: (event) => recorder.pushEvent(event) } : {}) },
  );
  faults.onChange(() => dispatcher.linkChanged());
  config.onChange((next, previous) => {
    if (next.backend !== previous.backend) {
      // Revocations the old backend announced mean nothing for the new one.
      Promise.resolve(sessions.clear()).catch(onClusterError);
      void stubTypes.refresh();
      dispatcher.start(backendUrl(), backendToken());
    }
  });

  // What the control plane changes, cluster-wide (cluster-control.ts). Each instance applies here what
  // another one published; the instance that took the request did the same change itself first.
  const cluster = new ClusterControl(gatewayId, stores.bus, onClusterError);
  /** Local state (`shared`: the shared stores too, which only the instance taking the reset clears). */
  const reset = async (shared: boolean) => {
    journal.clear();
    faults.clear();
    void stubTypes.refresh();
    await clearStores(shared);
  };
  /** What a new state makes untrue: cached sessions, replay ids, budgets, remembered revocations. */
  const clearStores = async (shared: boolean) => {
    sessions.clearCache();
    const clears: (void | Promise<void>)[] = [];
    if (shared || !stores.bus) {
      clears.push(replay.clear(), limiter.clear(), stores.revocations.clear());
      clears.push(publicBuckets.perIp.clear(), publicBuckets.perEmail.clear(), publicBuckets.perChallenge.clear());
      if (journalMirror) clears.push(journalMirror.clear());
    }
    await Promise.all(clears);
  };
  cluster.register<EmulatorConfig>({ kind: "config", latest: true, apply: (settings) => void config.replace(settings) });
  cluster.register<FaultView[]>({ kind: "faults", latest: true, apply: (held) => faults.replaceAll(held) });
  cluster.register<Record<string, never>>({ kind: "reset", latest: false, apply: () => reset(false) });
  /** Loads the key another instance wrote to the shared key file, and checks it is the one announced. */
  const loadAnnouncedKey = async (announced: { response_signing_public_key: string }) => {
    const loaded = toBase64Url(await key.reload());
    if (loaded !== announced.response_signing_public_key) {
      throw new Error("another gateway changed the key, but this one's key file holds a different key: give them one --gateway-key file");
    }
  };
  cluster.register<{ response_signing_public_key: string }>({ kind: "gateway-key", latest: false, apply: loadAnnouncedKey });
  // Another instance imported a state document: its key (in the shared file) and config (the `config`
  // message) are now the cluster's, the backend's sessions are the document's, and the shared stores
  // were cleared there; what this instance holds of the old state is its cached sessions.
  cluster.register<{ response_signing_public_key: string }>({
    kind: "state-imported",
    latest: false,
    apply: async (announced) => {
      await loadAnnouncedKey(announced);
      sessions.clearCache();
    },
  });

  let ready = false;
  const listenerLimits: ListenerLimits = { ...DEFAULT_LISTENER_LIMITS, ...options.limits };
  const shutdown = createShutdownController(listenerLimits);
  const serving = new ServingState();
  const galaxyRoutes = edgeGatewayRoutes({
    pipelines,
    newCalls: new TurnBudget(TURN_BUDGET_MS),
    hub,
    journal,
    signer: key,
    now,
    shutdownSignal: shutdown.signal,
    instance: stores.bus ? gatewayId : undefined,
  });
  const rpc = createRpcHandler({
    // Health and reflection share the listener and protocols; they are not galaxy calls (unsigned).
    routes: (router) => {
      galaxyRoutes(router);
      healthRoutes(serving, [EdgeGateway.typeName])(router);
      reflectionRoutes([EdgeGateway, Health])(router);
    },
    readMaxBytes: MAX_RPC_MESSAGE_BYTES,
    shutdownSignal: shutdown.signal,
    contextValues: (req) => createContextValues().set(clientIpKey, req.socket.remoteAddress ?? "unknown"),
  });
  const state = createStateTransfer({
    backend,
    config,
    key,
    // A state import acts on the instance that takes it (docs/ARCHITECTURE.md, cluster mode).
    resetLocal: () => clearStores(true),
  });
  const rest = createRestSurface({
    config,
    backend,
    journal,
    faults,
    gatewayPublicKey: () => key.publicKey(),
    rotateGatewayKey: () => key.rotate(),
    keepGatewayKey: () => {
      const seed = key.seed();
      return () => key.replace(seed);
    },
    state,
    now,
    isReady: () => ready,
    resetLocal: () => reset(true),
    status: () =>
      emulatorStatus({
        config,
        backend,
        journal,
        publicKey: () => key.publicKey(),
        now,
        pushStream: () => dispatcher.status(),
        openEventStreams: () => hub.openStreams,
        ed25519: { engine: ed25519Engine, ...(whyNotLibsodium ? { why_not_libsodium: whyNotLibsodium } : {}) },
      }),
    refreshStubTypes: () => stubTypes.refresh(),
    recording: recorder,
    publicBuckets,
    cluster,
    redis: stores.redis,
    clusterJournal: journalMirror,
    accessToken: options.accessToken,
    consoleDir: options.consoleDir,
    consoleSourcemaps: options.consoleSourcemaps,
  });

  /** A start that fails after this point lets go of what was started for it. */
  const releaseStarted = async () => {
    backend.close();
    await recorder?.close();
    await stores.close();
    await journalFile.close();
    await signingPool.close();
  };

  if (options.importState !== undefined) {
    try {
      await state.import(options.importState);
    } catch (err) {
      await releaseStarted();
      throw err;
    }
  }

  // CORS first: it answers preflights and adds the grant to what the REST surface or Connect answers.
  const cors = createCors(() => config.get().cors_origins);
  const listener = await listen(
    (req, res) => {
      if (cors(req, res)) return;
      if (!rest(req, res)) rpc(req, res);
    },
    { host, port: options.port ?? 8787, limits: listenerLimits, tls: options.tls },
  ).catch(async (err: unknown) => {
    // Nothing listens (port taken, certificate unusable).
    await releaseStarted();
    throw err;
  });
  // Subscribed (and caught up on the cluster's config) before the first call is served.
  await cluster.start().catch(async (err: unknown) => {
    await listener.close(0, () => shutdown.abort());
    await releaseStarted();
    throw err;
  });
  dispatcher.start(backendUrl(), backendToken());
  // Not awaited: a backend that is down must not hold the start; a call meanwhile asks again (refreshOnMiss).
  void stubTypes.refresh();
  ready = true;

  const urlHost = host.includes(":") ? `[${host}]` : host;
  let closing: Promise<void> | undefined;
  return {
    url: `${listener.secure ? "https" : "http"}://${urlHost}:${listener.port}`,
    port: listener.port,
    config,
    instanceId: gatewayId,
    publicKey: () => key.publicKey(),
    state,
    close(drainMs = DEFAULT_DRAIN_MS) {
      closing ??= (async () => {
        ready = false;
        serving.shutDown(); // health: NOT_SERVING, Watch streams told and ended
        hub.close(); // §5.5: streams end with UNAVAILABLE gateway_shutting_down first
        journal.close(); // journal long-polls answer now instead of holding the drain
        faults.close(); // injected delays end now
        journalMirror?.close();
        await dispatcher.stop();
        // In-flight calls get drainMs to finish; then they are aborted and answer UNAVAILABLE
        // gateway_shutting_down (within ABORT_GRACE_MS) before the connections are cut.
        await listener.close(drainMs, () => shutdown.abort());
        shutdown.abort();
        backend.close();
        await recorder?.close(); // after the drain: the drained calls' exchanges are in it
        // Redis last: calls that were draining still had their replay checks.
        await journalFile.close(); // the last changes, written before close() resolves
        await cluster.close();
        await stores.close();
        await signingPool.close();
      })();
      return closing;
    },
  };
}
