#!/usr/bin/env node
// `npm run emulator -- [--host H] [--port P] [--backend mock|URL [--backend-token-file F]] [--freshness-ms N]
// [--state-dir D] [--token-file F] [--console-dir D] [--cors-origin O]... [--import F] [--export-on-exit F]
// [--redis URL] [--gateway-key F] [--record DIR | --playback DIR] …`: the headless emulator (and `… exec [flags] -- CMD`: exec.ts). Prints
// the ready line once /healthz answers 200, and shuts down cleanly (§5.5 order) on SIGINT/SIGTERM/SIGHUP
// or when its parent process dies. The shebang makes the built file runnable as the package's bin.
import { existsSync, readFileSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { startEmulator, type RunningEmulator } from "../emulator/start.js";
import { writeFileAtomic } from "../node/atomic-file.js";
import { MAX_STATE_DOCUMENT_BYTES } from "../shared/protocol.js";
import { ConfigError, parseSettings, settingName, type SettingPath } from "../gateway/config.js";
import { FaultError, parseFaults, type FaultSpec } from "../gateway/faults/fault-spec.js";
import { compileRedactPatterns, RedactPatternError } from "../gateway/recording/redact.js";
import { fail as failWith, parseFlags, parsePort, stopOnSignals, type CommandLine } from "./command-line.js";
import { BACKEND_TOKEN_ENV, BACKEND_TOKEN_RULE } from "../node/backend-token.js";
import { checkExposure, CONTROL_TOKEN_RULE, TOKEN_ENV } from "./exposure.js";
import { tokenFromSources, TokenError, type ResolvedToken, type TokenSources } from "./token-source.js";
import { redisUrlFromSources, REDIS_URL_ENV } from "./redis-url.js";

const cli: CommandLine = {
  name: "emulator",
  usage: `usage: npm run emulator -- [options]
  --host H            listen address (default 127.0.0.1)
  --port P            listen port, 0 = any free port (default 8787)
  --backend B         "mock" (default) or the base URL of a real backend
  --backend-token-file F  with --backend URL: the backend token to send it (default: $GALAXY_BACKEND_TOKEN)
  --freshness-ms N    freshness window in ms (default 60000)
  --state-dir D       where the gateway key and the mock backend's state are kept (default $XDG_STATE_HOME or ~/.local/state, /galaxy-gateway-emulator)
  --token-file F      read the control-plane token from file F (surrounding white space ignored); also
                      $GALAXY_EMULATOR_TOKEN. With a token the control plane requires
                      "Authorization: Bearer <token>" (and also serves non-loopback callers)
  --token T           the same, from the command line (visible to every local user in ps: warns)
  --insecure-no-token allow a non-loopback --host without a token (refused otherwise)
  --console-dir D     built web console to serve at / (default: dist/renderer of this package, when built)
  --cors-origin O     a browser origin the public surface grants CORS to, e.g. http://localhost:5173 or
                      http://localhost:* (any port); repeatable; replaces the default (loopback, any port)
  --console-sourcemaps  also serve the console's source maps (*.map; default: 404)
  --tls-cert F        PEM certificate (chain) file: serve HTTPS and HTTP/2 over TLS on the port (with --tls-key)
  --tls-key F         PEM private key file of --tls-cert
  --import F          replace the state with the state document in F (GET /emulator/v1/state) before serving
  --export-on-exit F  write the state document to F (atomically, mode 0600) when stopping
  --faults F          inject the faults in JSON file F (one fault or an array) from the start; not persisted
  --stubs DIR         load the stub mappings of every *.json in DIR into the mock backend at start
  --record DIR        with --backend URL: record every exchange with the backend into DIR (a new folder)
  --record-secrets    keep secrets in the recording (default: login codes, tokens, passwords redacted)
  --record-redact F   a field name (* wildcards) to redact; repeatable; replaces the default list
  --playback DIR      play back the recording in DIR: the mock backend answers as the recorded one did
  --redis URL         cluster mode: keep the replay store, rate-limit budgets and remembered revocations in
                      this Redis (redis://host:port), shared with every gateway using it; fixed for the run;
                      default $${REDIS_URL_ENV} (a password in --redis is visible in ps: prefer the variable)
  --gateway-key F     the response-signing key file (default: gateway-key.json in the state dir); the
                      gateways of a cluster must share one
subcommands:
  exec [options] -- CMD [ARGS...]  run CMD against a fresh emulator (on a free port unless --port), then stop it
  conform --target URL …           check a gateway against PROTOCOL.md (conform --help)`,
};

interface CliOptions {
  host: string;
  port: number;
  backend: string;
  /** For a backend given by URL: from --backend-token-file or GALAXY_BACKEND_TOKEN. */
  backendToken?: string;
  freshnessMs?: number;
  stateDir: string;
  token?: string;
  consoleDir?: string;
  corsOrigins?: string[];
  consoleSourcemaps: boolean;
  tls?: { cert: Buffer; key: Buffer };
  /** --import: the parsed state document. */
  importState?: unknown;
  exportOnExit?: string;
  faults?: FaultSpec[];
  stubsDir?: string;
  redis?: string;
  gatewayKeyFile?: string;
  record?: { dir: string; secrets: boolean; redact?: string[] };
  playbackDir?: string;
}

function fail(message: string): never {
  failWith(cli, message);
}

function parseOptions(argv: string[]): CliOptions {
  const values = parseFlags(cli, argv, {
    host: { type: "string", default: "127.0.0.1" },
    port: { type: "string", default: "8787" },
    backend: { type: "string", default: "mock" },
    "backend-token-file": { type: "string" },
    "freshness-ms": { type: "string" },
    "state-dir": { type: "string" },
    token: { type: "string" },
    "token-file": { type: "string" },
    "insecure-no-token": { type: "boolean" },
    "console-dir": { type: "string" },
    "cors-origin": { type: "string", multiple: true },
    "console-sourcemaps": { type: "boolean" },
    "tls-cert": { type: "string" },
    "tls-key": { type: "string" },
    import: { type: "string" },
    "export-on-exit": { type: "string" },
    faults: { type: "string" },
    stubs: { type: "string" },
    redis: { type: "string" },
    "gateway-key": { type: "string" },
    record: { type: "string" },
    "record-secrets": { type: "boolean" },
    "record-redact": { type: "string", multiple: true },
    playback: { type: "string" },
  });
  const str = (name: Exclude<keyof typeof values, "cors-origin" | "insecure-no-token" | "console-sourcemaps" | "record-secrets" | "record-redact">) => values[name];
  const port = parsePort(cli, str("port"));
  const { backend, freshnessMs, corsOrigins } = settings({ backend: str("backend")!, freshness: str("freshness-ms"), corsOrigins: values["cors-origin"] });
  const backendTokenFile = str("backend-token-file");
  if (backendTokenFile !== undefined && backend === "mock") fail("--backend-token-file goes with --backend URL (the embedded mock makes its own token)");
  const resolved = token({
    what: "the token",
    rule: CONTROL_TOKEN_RULE,
    file: { flag: "--token-file", path: str("token-file") },
    env: TOKEN_ENV,
    plain: { flag: "--token", value: str("token") },
  });
  // GALAXY_BACKEND_TOKEN is for a backend given by URL; the embedded mock makes its own.
  const backendToken =
    backend === "mock"
      ? undefined
      : token({ what: "the backend token", rule: BACKEND_TOKEN_RULE, file: { flag: "--backend-token-file", path: backendTokenFile }, env: BACKEND_TOKEN_ENV }).token;
  const stubsDir = str("stubs");
  if (stubsDir !== undefined && backend !== "mock") fail("--stubs loads stubs into the mock backend (not with --backend URL)");
  const recordDir = str("record");
  const playbackDir = str("playback");
  if (recordDir !== undefined && backend === "mock") fail("--record records a real backend: give its URL with --backend URL");
  if ((values["record-secrets"] || values["record-redact"]) && recordDir === undefined) fail("--record-secrets and --record-redact go with --record DIR");
  if (playbackDir !== undefined && backend !== "mock") fail("--playback plays back into the mock backend (not with --backend URL)");
  if (playbackDir !== undefined && recordDir !== undefined) fail("--record and --playback exclude each other");
  const redact = values["record-redact"];
  if (redact) {
    try {
      compileRedactPatterns(redact);
    } catch (err) {
      if (err instanceof RedactPatternError) fail(`--record-redact: ${err.message}`);
      throw err;
    }
  }
  const tlsCert = str("tls-cert");
  const tlsKey = str("tls-key");
  if ((tlsCert === undefined) !== (tlsKey === undefined)) fail("--tls-cert and --tls-key go together");
  const exposure = checkExposure({ host: str("host")!, token: resolved.token, tls: tlsCert !== undefined, insecureNoToken: values["insecure-no-token"] === true });
  if (exposure.refusal) fail(exposure.refusal);
  for (const warning of [...resolved.warnings, ...exposure.warnings]) console.error(`emulator: warning: ${warning}`);
  const consoleDir = str("console-dir") ?? defaultConsoleDir();
  if (str("console-dir") !== undefined && !existsSync(path.join(consoleDir!, "index.html"))) {
    fail(`--console-dir ${consoleDir} has no index.html (run npm run build)`);
  }
  let redis: string | undefined;
  try {
    const resolvedRedis = redisUrlFromSources(str("redis"));
    redis = resolvedRedis.url;
    for (const warning of resolvedRedis.warnings) console.error(`emulator: warning: ${warning}`);
  } catch (err) {
    fail((err as Error).message);
  }
  const gatewayKeyFile = str("gateway-key");
  if (gatewayKeyFile !== undefined && gatewayKeyFile.trim() === "") fail("--gateway-key must not be empty");
  return {
    redis,
    gatewayKeyFile: gatewayKeyFile === undefined ? undefined : path.resolve(gatewayKeyFile),
    host: str("host")!,
    port,
    backend,
    backendToken,
    freshnessMs,
    stateDir: path.resolve(str("state-dir") ?? defaultStateDir()),
    token: resolved.token,
    consoleDir,
    corsOrigins,
    consoleSourcemaps: values["console-sourcemaps"] === true,
    tls: tlsCert !== undefined ? { cert: readPem("--tls-cert", tlsCert), key: readPem("--tls-key", tlsKey!) } : undefined,
    importState: str("import") !== undefined ? readJsonFile("--import", str("import")!, MAX_STATE_FILE_BYTES) : undefined,
    exportOnExit: str("export-on-exit") !== undefined ? path.resolve(str("export-on-exit")!) : undefined,
    faults: str("faults") !== undefined ? readFaults(str("faults")!) : undefined,
    stubsDir: stubsDir !== undefined ? path.resolve(stubsDir) : undefined,
    record: recordDir !== undefined ? { dir: path.resolve(recordDir), secrets: values["record-secrets"] === true, ...(redact ? { redact } : {}) } : undefined,
    playbackDir: playbackDir !== undefined ? path.resolve(playbackDir) : undefined,
  };
}

/** A state document is at most what PUT /emulator/v1/state takes. */
const MAX_STATE_FILE_BYTES = MAX_STATE_DOCUMENT_BYTES;
/** A fault file is far smaller than this (1,000 faults, the most a gateway holds, take ~100 KiB). */
const MAX_FAULTS_FILE_BYTES = 1024 * 1024;

/** The JSON in `file` (for `flag`); unreadable, too large or not JSON stops the start naming the file. */
function readJsonFile(flag: string, file: string, maxBytes: number): unknown {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (err) {
    fail(`${flag} ${file}: cannot read it (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  if (bytes.length > maxBytes) fail(`${flag} ${file}: larger than ${maxBytes} bytes`);
  try {
    return JSON.parse(bytes.toString("utf8"));
  } catch (err) {
    fail(`${flag} ${file}: not JSON (${(err as Error).message})`);
  }
}

/** `--faults F`: one fault or an array, validated as POST /emulator/v1/faults does; a refusal names the file and the JSON path. */
function readFaults(file: string): FaultSpec[] {
  const value = readJsonFile("--faults", file, MAX_FAULTS_FILE_BYTES);
  try {
    return parseFaults(value);
  } catch (err) {
    if (err instanceof FaultError) fail(`--faults ${file}: ${err.message}`);
    throw err;
  }
}

function token(sources: TokenSources): ResolvedToken {
  try {
    return tokenFromSources(sources);
  } catch (err) {
    if (err instanceof TokenError) fail(err.message);
    throw err;
  }
}

interface SettingFlags {
  backend: string;
  freshness?: string;
  corsOrigins?: string[];
}

/**
 * The flags that carry settings, validated by the gateway's own rules (config.ts parseSettings, as a
 * PATCH is): a refusal names the flag and the text given, e.g. `--freshness-ms "0": must be an integer
 * 1..86400000`. Text that is not a decimal integer goes in as text, which the rule refuses.
 */
function settings(flags: SettingFlags): Pick<CliOptions, "backend" | "freshnessMs" | "corsOrigins"> {
  const label = (path: SettingPath): string => {
    if (path[0] === "backend") return `--backend "${flags.backend}"`;
    if (path[0] === "freshness_window_ms") return `--freshness-ms "${flags.freshness}"`;
    // One entry ([cors_origins, i]) or the whole list (too many).
    if (path[0] === "cors_origins") return typeof path[1] === "number" ? `--cors-origin "${flags.corsOrigins?.[path[1]]}"` : "--cors-origin";
    return settingName(path);
  };
  const freshness = flags.freshness !== undefined && /^-?[0-9]+$/.test(flags.freshness) ? Number(flags.freshness) : flags.freshness;
  try {
    const valid = parseSettings({ backend: flags.backend, freshness_window_ms: freshness, cors_origins: flags.corsOrigins }, label);
    return { backend: valid.backend ?? "mock", freshnessMs: valid.freshness_window_ms, corsOrigins: valid.cors_origins };
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    fail(err.message);
  }
}

function readPem(flag: string, file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    fail(`${flag} ${file}: cannot read it (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
}

function defaultStateDir(): string {
  const base = process.env.XDG_STATE_HOME || path.join(os.homedir(), ".local", "state");
  return path.join(base, "galaxy-gateway-emulator");
}

/** dist/renderer of this package, found from src/cli (tsx) or dist/node/cli (built). */
function defaultConsoleDir(): string | undefined {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    if (existsSync(path.join(dir, "package.json"))) {
      const candidate = path.join(dir, "dist", "renderer");
      return existsSync(path.join(candidate, "index.html")) ? candidate : undefined;
    }
    dir = path.dirname(dir);
  }
  return undefined;
}

/** GET /healthz: its status, or undefined if it did not answer. */
function healthStatus(url: string): Promise<number | undefined> {
  const target = new URL("/healthz", url);
  return new Promise((resolve) => {
    const onResponse = (res: http.IncomingMessage) => {
      res.resume();
      resolve(res.statusCode);
    };
    // Over TLS only liveness is checked: the certificate is our own, possibly self-signed, and may not
    // name the listen address.
    const req = target.protocol === "https:" ? https.get(target, { rejectUnauthorized: false }, onResponse) : http.get(target, onResponse);
    req.setTimeout(2_000, () => req.destroy());
    req.on("error", () => resolve(undefined));
  });
}

async function waitHealthy(url: string): Promise<void> {
  // The listener is bound before startEmulator returns; this confirms the whole stack answers.
  for (let attempt = 0; attempt < 50; attempt++) {
    if ((await healthStatus(url)) === 200) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("/healthz did not answer 200");
}

// Subcommands, each in its own module (loaded only when asked for).
if (process.argv[2] === "conform") process.exit(await (await import("./conform.js")).conform(process.argv.slice(3)));
if (process.argv[2] === "exec") process.exit(await (await import("./exec.js")).runExec(process.argv.slice(3)));

const options = parseOptions(process.argv.slice(2));
const stopper = stopOnSignals(cli);
let emulator;
try {
  emulator = await startEmulator({
    host: options.host,
    port: options.port,
    backend: options.backend,
    backendToken: options.backendToken,
    freshnessMs: options.freshnessMs,
    stateDir: options.stateDir,
    accessToken: options.token,
    consoleDir: options.consoleDir,
    corsOrigins: options.corsOrigins,
    consoleSourcemaps: options.consoleSourcemaps,
    tls: options.tls,
    importState: options.importState,
    faults: options.faults,
    stubsDir: options.stubsDir,
    redis: options.redis,
    gatewayKeyFile: options.gatewayKeyFile,
    record: options.record,
    playbackDir: options.playbackDir,
    onClusterError: (err) => console.error(`emulator: cluster: ${err instanceof Error ? err.message : String(err)}`),
  });
  await waitHealthy(emulator.url);
} catch (err) {
  console.error(`emulator: cannot start: ${err instanceof Error ? err.message : String(err)}`);
  await emulator?.close();
  process.exit(1);
}
console.log(`Gateway emulator ready at ${emulator.url}`);
if (!options.consoleDir) console.log("(no web console: run `npm run build` to serve it at /)");

stopper.closeWith(async () => {
  // Exported while everything still runs; a failed export still closes, then exits 1.
  const exported = options.exportOnExit ? exportState(emulator, options.exportOnExit) : Promise.resolve();
  await exported.finally(() => emulator.close());
});

async function exportState(running: RunningEmulator, file: string): Promise<void> {
  try {
    await writeFileAtomic(file, JSON.stringify(await running.exportState(), null, 2) + "\n");
    console.log(`emulator: state exported to ${file}`);
  } catch (err) {
    throw new Error(`--export-on-exit ${file}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}
