// createGatewayClient: a game client's whole side of PROTOCOL.md for any gateway (the emulator or a
// real one), in browsers and Node alike — public sign-in (§3), signed ExecuteCommand verified against
// the pinned gateway key (§2, §4), SubscribeEvents as verified events (§5). Built on connect-web's
// transports (fetch), so it needs no Node built-in; each signed call and verification is
// signed-call.ts's (the SDK's lower level, which the web console uses too).
import { fromUtf8, toBase64Url } from "../shared/bytes.js";
import { generateSeed, publicKeyFromSeed } from "../shared/ed25519.js";
import type { BackoffPolicy } from "../shared/backoff.js";
import type { GatewayInfo } from "../shared/protocol.js";
import { exportDeviceJson, parseDeviceExport, parseGatewayKey, type Device, type DeviceExport } from "./device.js";
import { GatewayCallError, VerificationError } from "./errors.js";
import { subscribeEvents, type ReceivedEvent, type SubscribeOptions } from "./events.js";
import { createPublicRest, type Fetch } from "./rest.js";
import type { BusinessErrorBody, DefaultMessageType, DefaultRoutes } from "./routes.js";
import { commandRequest, createEdgeGatewayRpc, signRequest, verifyResponse, type EdgeGatewayRpc, type Protocol } from "./signed-call.js";

export { PROTOCOLS, type Protocol } from "./signed-call.js";
const STALE_REQUEST = "stale_request";

export interface GatewayClientOptions {
  /** The gateway's origin, e.g. "http://127.0.0.1:8787" (no path). */
  baseUrl: string;
  /** Connect (JSON, default) or gRPC-Web (binary): both run over fetch, in browsers too. */
  protocol?: Protocol;
  /** The fetch to use (default: the global one), e.g. one that adds headers or trusts a test CA. */
  fetch?: Fetch;
  /** A device exported earlier (`exportDevice()`): the client starts signed in, with its pinned key. */
  device?: DeviceExport;
  /**
   * The gateway response-signing key to trust (base64url or 32 bytes). Default: pinned from
   * `/api/v1/public/gateway/info` on first use (trust on first use), or the imported device's.
   */
  gatewayPublicKey?: string | Uint8Array;
  /** Reconnect delays of `subscribe` (default 0.5 s doubling to 10 s, ±20 % jitter). */
  backoff?: BackoffPolicy;
  /**
   * How long a call may wait for its answer (ExecuteCommand: sent as its deadline too; a REST call; a
   * stream: its first event, else it reconnects). Default DEFAULT_CALL_TIMEOUT_MS.
   */
  timeoutMs?: number;
}

/**
 * 30 s: a gateway answers within its backend deadline (5 s in the emulator) plus the network; a call
 * without an answer by then fails (an RPC with `deadline_exceeded`, a REST call with `timeout`) instead
 * of waiting forever.
 */
export const DEFAULT_CALL_TIMEOUT_MS = 30_000;

/** A signed answer (§4): `ok` with the route's payload, or a business error (also signed). */
export type ExecuteResult<R = unknown> =
  | { ok: true; resultCode: "ok"; payload: R; requestId: string; payloadBytes: Uint8Array }
  | { ok: false; resultCode: string; payload: unknown; error?: BusinessErrorBody["error"]; requestId: string; payloadBytes: Uint8Array };

/** `execute`'s payload argument: optional where the route takes none. */
type PayloadArg<T extends DefaultMessageType> = undefined extends DefaultRoutes[T]["request"]
  ? [payload?: DefaultRoutes[T]["request"]]
  : [payload: DefaultRoutes[T]["request"]];

export interface GatewayClient {
  readonly baseUrl: string;
  readonly protocol: Protocol;
  /** The signed-in device session (public parts), or undefined before sign-in / import. */
  readonly device: { deviceSessionId: string; userId: string } | undefined;
  /**
   * Gateway clock minus this machine's, as last learned (gateway info, `gateway.server_time`, the
   * server_time_ms of rejections); request timestamps use it. A call rejected `stale_request` is re-signed
   * with the clock it told and sent once more (it reached nothing: freshness runs before replay).
   */
  readonly clockOffsetMs: number;
  gatewayInfo(signal?: AbortSignal): Promise<GatewayInfo>;
  /** The pinned gateway key (pins it from gateway info if nothing is pinned yet). */
  gatewayPublicKey(): Promise<Uint8Array>;
  /** Sign-in, step 1 (§3): the gateway e-mails a 6-digit code. Throws GatewayHttpError. */
  sendEmailCode(email: string): Promise<{ challengeId: string }>;
  /** Step 2: makes a fresh device key, binds it to a new device session and keeps it. Throws GatewayHttpError. */
  confirmEmailCode(challengeId: string, code: string): Promise<{ deviceSessionId: string; userId: string }>;
  /**
   * A signed command; the signed answer is verified before it is returned. Throws GatewayCallError when
   * the gateway rejects the call (or it fails on the way), VerificationError when the answer does not verify.
   */
  execute<T extends DefaultMessageType>(type: T, ...payload: PayloadArg<T>): Promise<ExecuteResult<DefaultRoutes[T]["response"]>>;
  /** Any other message type (a real gateway's routes are configuration): untyped payloads. */
  execute<T extends string>(type: T extends DefaultMessageType ? never : T, payload?: unknown): Promise<ExecuteResult>;
  /**
   * This device's events, each verified; `gateway.server_time` first on every connection (its arrival
   * means the stream is registered: nothing pushed later is missed). Reconnects after transient failures;
   * ends with a GatewayCallError on `session_revoked` or another final rejection; ends quietly on `signal`.
   */
  subscribe(options?: SubscribeOptions): AsyncGenerator<ReceivedEvent>;
  /** The device as JSON (its seed is secret): give it to `importDevice` or `createGatewayClient({device})` later. */
  exportDevice(): DeviceExport;
  /** Takes a device exported earlier (checked field by field: TypeError naming the bad one). */
  importDevice(exported: unknown): void;
}

export function createGatewayClient(options: GatewayClientOptions): GatewayClient {
  const baseUrl = parseBaseUrl(options.baseUrl);
  const protocol = options.protocol ?? "connect";
  // A bare reference to the global fetch would be called with the wrong `this` in browsers ("Illegal invocation").
  const fetchImpl: Fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const timeoutMs = options.timeoutMs ?? DEFAULT_CALL_TIMEOUT_MS;
  if (!Number.isSafeInteger(timeoutMs) || timeoutMs < 1) throw new TypeError("timeoutMs must be a positive integer (milliseconds)");
  const rpc: EdgeGatewayRpc = createEdgeGatewayRpc({ baseUrl, protocol, fetch: fetchImpl });
  const rest = createPublicRest(baseUrl, fetchImpl, timeoutMs);

  let device: Device | undefined;
  let pinned: Uint8Array | undefined = options.gatewayPublicKey === undefined ? undefined : parseGatewayKey(options.gatewayPublicKey);
  let pinning: Promise<Uint8Array> | undefined;
  let clockOffsetMs = 0;

  if (options.device !== undefined) importDevice(options.device);

  const learnServerTime = (serverTimeMs: number) => {
    clockOffsetMs = serverTimeMs - Date.now();
  };
  const now = () => Date.now() + clockOffsetMs;
  /** Every rejection carries the gateway's clock (GatewayError.server_time_ms). */
  const learnFrom = (error: GatewayCallError): GatewayCallError => {
    if (error.serverTimeMs !== undefined) learnServerTime(error.serverTimeMs);
    return error;
  };

  async function gatewayInfo(signal?: AbortSignal): Promise<GatewayInfo> {
    const info = await rest.gatewayInfo(signal);
    if (typeof info.server_time_ms === "number") learnServerTime(info.server_time_ms);
    return info;
  }

  function gatewayPublicKey(): Promise<Uint8Array> {
    if (pinned) return Promise.resolve(pinned);
    pinning ??= gatewayInfo().then(
      (info) => (pinned ??= parseGatewayKey(info.response_signing_public_key, "gateway info: response_signing_public_key")),
      (err: unknown) => {
        pinning = undefined; // a failed pin is retried by the next call
        throw err;
      },
    );
    return pinning;
  }

  function requireDevice(): Device {
    if (!device) throw new Error("not signed in: call confirmEmailCode (or importDevice) first");
    return device;
  }

  function importDevice(exported: unknown): void {
    const parsed = parseDeviceExport(exported);
    device = parsed.device;
    pinned = parsed.gatewayPublicKey;
  }

  async function execute(type: string, payload?: unknown): Promise<ExecuteResult> {
    const current = requireDevice();
    const key = await gatewayPublicKey();
    const signNow = () => commandRequest(signRequest(current, { messageType: type, payload, timestampMs: now() }));
    let request = signNow();
    let response;
    try {
      response = await rpc.executeCommand(request, { timeoutMs });
    } catch (e) {
      const error = learnFrom(GatewayCallError.from(e));
      // Freshness runs before replay and routing: a stale call reached nothing, so it is sent again,
      // once, with the gateway clock the rejection just told.
      if (error.reason !== STALE_REQUEST || error.serverTimeMs === undefined) throw error;
      request = signNow();
      try {
        response = await rpc.executeCommand(request, { timeoutMs });
      } catch (again) {
        throw learnFrom(GatewayCallError.from(again));
      }
    }
    const requestId = request.envelope!.requestId;
    const verification = verifyResponse(response, key, { deviceSessionId: current.deviceSessionId, requestId });
    if (!verification.ok) throw new VerificationError(verification.problem, "response");
    const resultCode = response.envelope!.resultCode;
    const body = parsePayload(response.payloadBytes);
    if (resultCode === "ok") return { ok: true, resultCode, payload: body, requestId, payloadBytes: response.payloadBytes };
    const error = (body as Partial<BusinessErrorBody> | undefined)?.error;
    return {
      ok: false,
      resultCode,
      payload: body,
      requestId,
      payloadBytes: response.payloadBytes,
      ...(error && typeof error.code === "string" ? { error } : {}),
    };
  }

  return {
    baseUrl,
    protocol,
    get device() {
      return device && { deviceSessionId: device.deviceSessionId, userId: device.userId };
    },
    get clockOffsetMs() {
      return clockOffsetMs;
    },
    gatewayInfo,
    gatewayPublicKey,
    async sendEmailCode(email) {
      return { challengeId: (await rest.sendEmailCode(email)).challenge_id };
    },
    async confirmEmailCode(challengeId, code) {
      // Pin first: a device is only worth keeping with the key that will verify its answers.
      await gatewayPublicKey();
      const seed = generateSeed();
      const session = await rest.confirmEmailCode(challengeId, code, toBase64Url(publicKeyFromSeed(seed)));
      device = { deviceSessionId: session.device_session_id, userId: session.user_id, seed };
      return { deviceSessionId: device.deviceSessionId, userId: device.userId };
    },
    execute: execute as GatewayClient["execute"],
    subscribe: (subscribeOptions = {}) =>
      subscribeEvents(
        { rpc, device: requireDevice, gatewayKey: gatewayPublicKey, now, learnServerTime, openTimeoutMs: timeoutMs },
        { ...(options.backoff ? { backoff: options.backoff } : {}), ...subscribeOptions },
      ),
    exportDevice() {
      if (!pinned) throw new Error("no gateway key pinned yet");
      return exportDeviceJson(requireDevice(), pinned);
    },
    importDevice,
  };
}

function parseBaseUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new TypeError(`baseUrl: not a URL: ${JSON.stringify(text)}`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new TypeError("baseUrl: must be http:// or https://");
  return url.origin + url.pathname.replace(/\/+$/, "");
}

/** An answer's JSON (undefined when empty; the text, or the bytes if not UTF-8, when a backend answered something else). */
function parsePayload(bytes: Uint8Array): unknown {
  if (bytes.length === 0) return undefined;
  let text: string;
  try {
    text = fromUtf8(bytes);
  } catch {
    return bytes; // not even UTF-8: the raw bytes
  }
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
