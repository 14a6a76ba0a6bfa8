// Composition root of the headless emulator: the mock backend (unless a real backend URL is given)
// and the gateway in front of it, wired together over HTTP only, with a random backend token per start
// so that the mock answers this gateway and nothing else.
import { startMockBackend } from "../backend/server.js";
import { parseSettings, settingName, type SettingPath } from "../gateway/config.js";
import { startGateway, type GatewayOptions } from "../gateway/gateway.js";
import type { StateDocument } from "../gateway/state-transfer.js";
import { stateFilePath } from "../node/atomic-file.js";
import { generateBackendToken } from "../node/backend-token.js";

/** The mock backend's folder inside the emulator's state directory. */
export const MOCK_STATE_SUBDIR = "mock-backend";

export interface EmulatorOptions {
  host?: string;
  /** 0 picks a free port. Default 8787. */
  port?: number;
  /** "mock" (default) starts the mock backend on a free loopback port; otherwise a backend base URL. */
  backend?: string;
  /**
   * The token to send to a backend given by URL (X-Galaxy-Backend-Token), e.g. the one of a standalone
   * `npm run backend`. The embedded mock gets a fresh random token of its own on every start.
   */
  backendToken?: string;
  freshnessMs?: number;
  /** Browser origins granted CORS on the public surface (`cors_origins`); default: loopback, any port. */
  corsOrigins?: string[];
  /** Where the gateway key (and, under mock-backend/, the mock backend's state) lives. */
  stateDir: string;
  /** Persist the mock backend's state under `stateDir`/mock-backend (default true). */
  persistMockBackend?: boolean;
  /** When set, the control plane requires `Authorization: Bearer <token>` (and may be reached off-loopback). */
  accessToken?: string;
  /** The built renderer (`dist/renderer`) served as the web console at `/`; omitted: no console. */
  consoleDir?: string;
  /** Serve the console's `*.map` files (default false: 404). */
  consoleSourcemaps?: boolean;
  /** PEM certificate and key: the gateway serves HTTPS and h2 over TLS instead of cleartext. */
  tls?: GatewayOptions["tls"];
  /** Push-stream errors (the gateway reconnects by itself); default: ignored. */
  onPushError?: (err: unknown) => void;
  /** Gateway limits (timeouts, sizes, stream caps); defaults in docs/SECURITY.md. */
  limits?: GatewayOptions["limits"];
  /** A state document (GET /emulator/v1/state) imported before the gateway accepts a call; a bad one throws. */
  importState?: unknown;
  /** Faults injected from the start (one or an array, as POST /emulator/v1/faults takes); a bad one throws FaultError. */
  faults?: GatewayOptions["faults"];
  /**
   * Stub mappings to load into the mock backend at start: every `*.json` of this folder (a mapping or
   * an array per file). Needs the mock backend; a bad file fails the start, naming it and the JSON path.
   */
  stubsDir?: string;
  /** Cluster mode: the shared stores live in this Redis (redis://…); see GatewayOptions.redis. */
  redis?: string;
  /** The gateway key file (default: in stateDir); the gateways of a cluster share one. */
  gatewayKeyFile?: string;
  /** Redis connection errors and failed cluster-wide applies (retried by themselves); default: ignored. */
  onClusterError?: (err: unknown) => void;
  /** `--record DIR` (with a backend URL): every exchange with the backend is recorded into `record.dir`. */
  record?: GatewayOptions["record"];
  /**
   * `--playback DIR`: the mock backend plays back the recording in DIR (its commands as stub mappings,
   * its sessions, its pushes on demand). Memory only: the mock's state is not persisted meanwhile.
   */
  playbackDir?: string;
}

export interface RunningEmulator {
  /** http(s)://host:port of the gateway listener (the console is at `${url}/`). */
  url: string;
  /**
   * Base URL of the mock backend, when one was started. It answers the gateway only: its token is
   * generated per start and kept inside (no one else needs it: everything goes through the gateway).
   */
  mockBackendUrl?: string;
  /** The state document GET /emulator/v1/state answers (with the gateway's private key: docs/SECURITY.md). */
  exportState(): Promise<StateDocument>;
  /**
   * Gateway shutdown order of §5 (push hub, then HTTP, in-flight calls getting up to drainMs, default
   * DEFAULT_DRAIN_MS), then the mock backend.
   */
  close(drainMs?: number): Promise<void>;
}

/** The options that carry settings, by the setting each sets: a refusal names the option. */
const SETTING_OPTIONS: Record<string, keyof EmulatorOptions> = {
  backend: "backend",
  freshness_window_ms: "freshnessMs",
  cors_origins: "corsOrigins",
};

/** `freshnessMs`, `corsOrigins[1]`: the setting's path under the option's name. */
function optionName(path: SettingPath): string {
  const [setting, ...rest] = path;
  const option = typeof setting === "string" ? SETTING_OPTIONS[setting] : undefined;
  return settingName(option ? [option, ...rest] : path);
}

/** Throws ConfigError (e.g. "freshnessMs: must be an integer 1..86400000") before anything starts. */
export async function startEmulator(options: EmulatorOptions): Promise<RunningEmulator> {
  const settings = parseSettings(
    { backend: options.backend ?? "mock", freshness_window_ms: options.freshnessMs, cors_origins: options.corsOrigins },
    optionName,
  );
  const backend = settings.backend ?? "mock";
  if (options.stubsDir !== undefined && backend !== "mock") {
    throw new Error("stubsDir (--stubs) loads stubs into the mock backend; with a backend URL, POST them to it instead");
  }
  if (options.record !== undefined && backend === "mock") throw new Error("record (--record) records a real backend: give its URL as backend (--backend URL)");
  if (options.playbackDir !== undefined && backend !== "mock") throw new Error("playbackDir (--playback) plays back into the mock backend: not with a backend URL");
  // A playback is the recording again on every start: nothing of the mock's is persisted meanwhile.
  const mockStateDir = options.persistMockBackend === false || options.playbackDir !== undefined ? undefined : stateFilePath(options.stateDir, MOCK_STATE_SUBDIR);
  const mockToken = backend === "mock" ? generateBackendToken() : undefined;
  const mock = mockToken
    ? await startMockBackend({ host: "127.0.0.1", port: 0, stateDir: mockStateDir, token: mockToken, stubsDir: options.stubsDir, playbackDir: options.playbackDir })
    : undefined;
  try {
    const gateway = await startGateway({
      host: options.host,
      port: options.port,
      stateDir: options.stateDir,
      mockBackendUrl: mock?.url,
      mockBackendToken: mockToken,
      backendToken: options.backendToken,
      config: settings,
      accessToken: options.accessToken,
      consoleDir: options.consoleDir,
      consoleSourcemaps: options.consoleSourcemaps,
      tls: options.tls,
      onPushError: options.onPushError,
      limits: options.limits,
      importState: options.importState,
      faults: options.faults,
      redis: options.redis,
      gatewayKeyFile: options.gatewayKeyFile,
      onClusterError: options.onClusterError,
      record: options.record,
    });
    return {
      url: gateway.url,
      mockBackendUrl: mock?.url,
      exportState: () => gateway.state.export(),
      async close(drainMs) {
        await gateway.close(drainMs);
        await mock?.close();
      },
    };
  } catch (err) {
    await mock?.close();
    throw err;
  }
}
