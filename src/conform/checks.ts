// The checks of `conform`, each against PROTOCOL.md as a client sees the gateway from outside. REST
// checks run once; RPC checks run once per protocol. A check passes (answers a short note), or throws
// CheckFailed with a one-line reason. What a check needs (gateway info, a device session, an emulator
// control plane) is declared, so the runner can skip it with the reason instead of failing it twice.
import { randomBytes } from "node:crypto";
import { Code } from "@connectrpc/connect";
import { fromUtf8, toBase64Url, utf8 } from "../shared/bytes.js";
import { generateSeed, publicKeyFromSeed } from "../shared/ed25519.js";
import type { GatewayEvent } from "../shared/gen/galaxy/gateway/v1/gateway_pb.js";
import { MAX_PAYLOAD_BYTES, PROTOCOL_VERSION, SERVER_TIME_EVENT_TYPE } from "../shared/protocol.js";
import { executeCommandRequest, subscribeEventsRequest, verifyEvent, verifyResponse, type DeviceIdentity, type RequestOptions } from "../shared/sdk.js";
import { CheckFailed } from "./check-failed.js";
import type { ProtocolClient } from "./protocols.js";
import { copyRequest, executeCommand, expectRejection, openEventStream, describeRejection, type EventStream } from "./rpc.js";
import type { ControlPlane, GatewayInfo, Target } from "./target.js";

export interface Device extends DeviceIdentity {
  /** Known for a device signed in through the mailbox (push needs it); not for --device-key. */
  userId?: string;
}

/** What the run has learnt so far; the REST checks fill it in for the RPC checks. */
export interface RunState {
  target: Target;
  controlPlane: ControlPlane;
  /** A routed message type that reads and changes nothing (default user.profile.get). */
  messageType: string;
  info?: GatewayInfo;
  /** The device the RPC checks sign with: --device-key's, else the mailbox one. */
  device?: Device;
  /** Why there is no device, when there is none. */
  noDevice: string;
  /** Signed in through the mailbox (with a user id); only with a control plane. */
  mailboxDevice?: Device;
}

export interface CheckRun {
  state: RunState;
  /** Set for RPC checks. */
  client?: ProtocolClient;
  /** Aborted at the check's timeout (and when it ends): pass it to every call. */
  signal: AbortSignal;
}

export type Need = "control" | "info" | "device" | "mailbox-device";

export interface Check {
  id: string;
  title: string;
  scope: "rest" | "rpc";
  needs: Need[];
  run(run: CheckRun): Promise<string>;
}

/**
 * How far outside the freshness window the stale requests are signed. The gateway's clock is
 * estimated from gateway info to within half a round trip; a minute more than the window leaves no
 * doubt which side of it the timestamp falls on.
 */
const STALE_MARGIN_MS = 60_000;

/** An event type no gateway or backend uses, for the push check. */
const PROBE_EVENT_TYPE = "conform.probe";

const random = (): string => randomBytes(8).toString("hex");

/** Gateway time as the gateway sees it (our clock plus the offset learnt from gateway info). */
function gatewayNow(state: RunState): number {
  return Date.now() + (state.info?.clockOffsetMs ?? 0);
}

function need<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`internal: ${what} missing`);
  return value;
}

function device(run: CheckRun): Device {
  return need(run.state.device, "device");
}

function client(run: CheckRun): ProtocolClient {
  return need(run.client, "protocol client");
}

/** A device whose session no gateway has: for checks at stages before the session is looked up. */
function strangerDevice(): DeviceIdentity {
  return { deviceSessionId: `ds_conform_${random()}`, seed: generateSeed() };
}

function signed(run: CheckRun, identity: DeviceIdentity, options: Partial<RequestOptions> = {}) {
  return executeCommandRequest(identity, { messageType: run.state.messageType, timestampMs: gatewayNow(run.state), ...options });
}

function subscribeRequest(run: CheckRun, identity: DeviceIdentity) {
  return subscribeEventsRequest(identity, { timestampMs: gatewayNow(run.state) });
}

/** Runs each named variant; the first that fails names itself in the reason. */
async function variants(cases: Array<[string, () => Promise<void>]>): Promise<string> {
  for (const [name, run] of cases) {
    try {
      await run();
    } catch (err) {
      if (err instanceof CheckFailed) throw new CheckFailed(`${name}: ${err.message}`);
      throw err;
    }
  }
  return `${cases.length} variants: ${cases.map(([name]) => name).join(", ")}`;
}

/** The checks every event must pass: signed by the gateway key, for this session and stream. */
function checkEvent(run: CheckRun, event: GatewayEvent, identity: DeviceIdentity, subscribeRequestId: string): void {
  const verdict = verifyEvent(event, need(run.state.info, "info").publicKey);
  const type = event.envelope?.eventType ?? "(none)";
  if (!verdict.ok) throw new CheckFailed(`${type} event: ${verdict.problem}`);
  const env = event.envelope!;
  if (env.deviceSessionId !== identity.deviceSessionId) throw new CheckFailed(`${type} event: device_session_id is not the subscriber's`);
  if (env.requestId !== subscribeRequestId) throw new CheckFailed(`${type} event: request_id does not echo the SubscribeEvents call's`);
  if (env.eventId === "") throw new CheckFailed(`${type} event: no event_id`);
}

function jsonPayload(event: GatewayEvent): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(fromUtf8(event.payloadBytes));
    if (typeof value === "object" && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // reported below
  }
  throw new CheckFailed(`${event.envelope?.eventType} event: the payload is not a JSON object`);
}

/** A SubscribeEvents stream that has delivered its signed gateway.server_time (§5.1). */
async function openedStream(run: CheckRun, identity: DeviceIdentity): Promise<{ stream: EventStream; serverTime: GatewayEvent; requestId: string }> {
  const req = subscribeRequest(run, identity);
  const stream = openEventStream(client(run), req, run.signal);
  const serverTime = await stream.next(`${SERVER_TIME_EVENT_TYPE}`);
  if (serverTime.envelope?.eventType !== SERVER_TIME_EVENT_TYPE) {
    throw new CheckFailed(`the first event is ${serverTime.envelope?.eventType || "(no type)"}, not ${SERVER_TIME_EVENT_TYPE}`);
  }
  checkEvent(run, serverTime, identity, req.envelope!.requestId);
  return { stream, serverTime, requestId: req.envelope!.requestId };
}

async function signInThroughMailbox(run: CheckRun): Promise<Device> {
  const seed = generateSeed();
  const email = `conform-${random()}@example.com`;
  const session = await run.state.target.signInThroughMailbox(email, toBase64Url(publicKeyFromSeed(seed)), run.signal);
  return { deviceSessionId: session.deviceSessionId, userId: session.userId, seed };
}

export const CHECKS: readonly Check[] = [
  {
    id: "gateway-info",
    title: "gateway info",
    scope: "rest",
    needs: [],
    async run(run) {
      const info = await run.state.target.info(run.signal);
      run.state.info = info;
      return `protocol_versions ${JSON.stringify(info.protocolVersions)}, freshness ${info.freshnessWindowMs} ms, clock offset ${info.clockOffsetMs} ms`;
    },
  },
  {
    id: "mailbox-sign-in",
    title: "sign-in through the mailbox",
    scope: "rest",
    needs: ["control"],
    async run(run) {
      const signedIn = await signInThroughMailbox(run);
      run.state.mailboxDevice = signedIn;
      run.state.device ??= signedIn;
      return `device session ${signedIn.deviceSessionId}`;
    },
  },
  {
    id: "signed-response",
    title: "ExecuteCommand answer signed, verifies",
    scope: "rpc",
    needs: ["info", "device"],
    async run(run) {
      const req = signed(run, device(run));
      let res;
      try {
        res = await executeCommand(client(run), req, run.signal);
      } catch (err) {
        if (run.signal.aborted) throw run.signal.reason;
        throw new CheckFailed(`${run.state.messageType} was rejected: ${describeRejection(err)}`);
      }
      const verdict = verifyResponse(res, need(run.state.info, "info").publicKey, {
        deviceSessionId: req.envelope!.deviceSessionId,
        requestId: req.envelope!.requestId,
      });
      if (!verdict.ok) throw new CheckFailed(`response: ${verdict.problem}`);
      if (res.envelope!.protocolVersion !== PROTOCOL_VERSION) throw new CheckFailed(`response: protocol_version ${res.envelope!.protocolVersion}`);
      if (res.envelope!.resultCode === "") throw new CheckFailed("response: empty result_code");
      return `result_code ${res.envelope!.resultCode}`;
    },
  },
  {
    id: "malformed-envelope",
    title: "malformed envelope → INVALID_ARGUMENT malformed_envelope",
    scope: "rpc",
    needs: [],
    run(run) {
      const identity = run.state.device ?? strangerDevice();
      const want = { code: Code.InvalidArgument, reason: "malformed_envelope", stage: "envelope" };
      const expect = (build: () => ReturnType<typeof signed>) => () => expectRejection(executeCommand(client(run), build(), run.signal), want, run.signal);
      const tampered = (change: (r: ReturnType<typeof signed>) => void) => () => {
        const req = copyRequest(signed(run, identity));
        change(req);
        return req;
      };
      return variants([
        ["no envelope", expect(tampered((r) => (r.envelope = undefined)))],
        ["request_id with a space", expect(() => signed(run, identity, { requestId: "has space" }))],
        ["request_id of 129 characters", expect(() => signed(run, identity, { requestId: "r".repeat(129) }))],
        ["31-byte payload_hash", expect(tampered((r) => (r.envelope!.payloadHash = r.envelope!.payloadHash.slice(1))))],
        ["63-byte signature", expect(tampered((r) => (r.signature = r.signature.slice(1))))],
        [`payload of ${MAX_PAYLOAD_BYTES} + 1 bytes`, expect(() => signed(run, identity, { payload: oversizePayload() }))],
      ]);
    },
  },
  {
    id: "unsupported-version",
    title: "protocol version → INVALID_ARGUMENT unsupported_protocol_version",
    scope: "rpc",
    needs: [],
    async run(run) {
      // One past the newest the gateway says it speaks.
      const version = Math.max(...(run.state.info?.protocolVersions ?? [PROTOCOL_VERSION])) + 1;
      const req = signed(run, run.state.device ?? strangerDevice(), { protocolVersion: version });
      await expectRejection(executeCommand(client(run), req, run.signal), { code: Code.InvalidArgument, reason: "unsupported_protocol_version", stage: "envelope" }, run.signal);
      return `protocol_version ${version}`;
    },
  },
  {
    id: "unknown-session",
    title: "unknown session → UNAUTHENTICATED unknown_session",
    scope: "rpc",
    needs: [],
    async run(run) {
      const req = signed(run, strangerDevice());
      await expectRejection(executeCommand(client(run), req, run.signal), { code: Code.Unauthenticated, reason: "unknown_session", stage: "session" }, run.signal);
      return `device_session_id ${req.envelope!.deviceSessionId}`;
    },
  },
  {
    id: "payload-hash-mismatch",
    title: "payload hash mismatch → INVALID_ARGUMENT payload_hash_mismatch",
    scope: "rpc",
    needs: ["device"],
    async run(run) {
      const req = copyRequest(signed(run, device(run), { payload: { conform: "signed" } }));
      req.payloadBytes = utf8(JSON.stringify({ conform: "sent" }));
      await expectRejection(executeCommand(client(run), req, run.signal), { code: Code.InvalidArgument, reason: "payload_hash_mismatch", stage: "payload_hash" }, run.signal);
      return "payload changed after signing";
    },
  },
  {
    id: "bad-signature",
    title: "bad signature → UNAUTHENTICATED invalid_signature",
    scope: "rpc",
    needs: ["device"],
    run(run) {
      const want = { code: Code.Unauthenticated, reason: "invalid_signature", stage: "signature" };
      const send = (req: ReturnType<typeof signed>) => expectRejection(executeCommand(client(run), req, run.signal), want, run.signal);
      return variants([
        [
          "one bit flipped",
          () => {
            const req = copyRequest(signed(run, device(run)));
            req.signature[0]! ^= 1;
            return send(req);
          },
        ],
        ["signed by another key", () => send(signed(run, { ...device(run), seed: generateSeed() }))],
      ]);
    },
  },
  {
    id: "stale-request",
    title: "stale timestamp → UNAUTHENTICATED stale_request",
    scope: "rpc",
    needs: ["info", "device"],
    run(run) {
      const want = { code: Code.Unauthenticated, reason: "stale_request", stage: "freshness" };
      const offBy = need(run.state.info, "info").freshnessWindowMs + STALE_MARGIN_MS;
      const send = (shift: number) => () =>
        expectRejection(executeCommand(client(run), signed(run, device(run), { timestampMs: gatewayNow(run.state) + shift }), run.signal), want, run.signal);
      return variants([
        [`${offBy} ms old`, send(-offBy)],
        [`${offBy} ms ahead`, send(offBy)],
      ]);
    },
  },
  {
    id: "replayed-request",
    title: "replay → ALREADY_EXISTS replayed_request",
    scope: "rpc",
    needs: ["device"],
    async run(run) {
      const req = signed(run, device(run));
      try {
        await executeCommand(client(run), req, run.signal);
      } catch (err) {
        if (run.signal.aborted) throw run.signal.reason;
        throw new CheckFailed(`the first call was rejected: ${describeRejection(err)}`);
      }
      await expectRejection(executeCommand(client(run), req, run.signal), { code: Code.AlreadyExists, reason: "replayed_request", stage: "replay" }, run.signal);
      return "the same request twice";
    },
  },
  {
    id: "unknown-message-type",
    title: "unknown message type → UNIMPLEMENTED unknown_message_type",
    scope: "rpc",
    needs: ["device"],
    async run(run) {
      const messageType = `conform.no-such-route.${random()}`;
      await expectRejection(
        executeCommand(client(run), signed(run, device(run), { messageType }), run.signal),
        { code: Code.Unimplemented, reason: "unknown_message_type", stage: "routing" },
        run.signal,
      );
      return messageType;
    },
  },
  {
    id: "subscribe-server-time",
    title: "SubscribeEvents opens with a signed gateway.server_time",
    scope: "rpc",
    needs: ["info", "device"],
    async run(run) {
      const { serverTime } = await openedStream(run, device(run));
      const time = jsonPayload(serverTime).server_time_ms;
      if (!Number.isInteger(time) || (time as number) <= 0) throw new CheckFailed("gateway.server_time: payload server_time_ms is not a positive integer");
      return `server_time_ms ${time}`;
    },
  },
  {
    id: "subscribe-bad-signature",
    title: "SubscribeEvents bad signature → UNAUTHENTICATED invalid_signature",
    scope: "rpc",
    needs: ["device"],
    async run(run) {
      const req = subscribeRequest(run, device(run));
      req.signature[0]! ^= 1;
      // The rejection comes as the stream's end, before any event.
      const first = client(run).edge.subscribeEvents(req, { signal: run.signal })[Symbol.asyncIterator]().next();
      await expectRejection(first, { code: Code.Unauthenticated, reason: "invalid_signature", stage: "signature" }, run.signal);
      return "one bit flipped";
    },
  },
  {
    id: "push-delivery",
    title: "pushed event delivered, signed (emulator)",
    scope: "rpc",
    needs: ["control", "info", "mailbox-device"],
    async run(run) {
      const subscriber = need(run.state.mailboxDevice, "mailbox device");
      const { stream, requestId } = await openedStream(run, subscriber);
      const nonce = random();
      const eventId = await run.state.target.push(
        { client_event: { user_id: subscriber.userId, device_session_id: subscriber.deviceSessionId, event_type: PROBE_EVENT_TYPE, payload: { nonce } } },
        run.signal,
      );
      const event = await stream.nextOfType(PROBE_EVENT_TYPE);
      checkEvent(run, event, subscriber, requestId);
      if (event.envelope!.eventId !== eventId) throw new CheckFailed(`event_id ${event.envelope!.eventId} is not the backend's ${eventId}`);
      if (jsonPayload(event).nonce !== nonce) throw new CheckFailed("the event's payload is not the one pushed");
      return `event ${eventId}`;
    },
  },
  {
    id: "session-invalidation",
    title: "invalidation → FAILED_PRECONDITION session_revoked (emulator)",
    scope: "rpc",
    needs: ["control", "info"],
    async run(run) {
      // A device of its own: this check ends its session.
      const victim = await signInThroughMailbox(run);
      const { stream } = await openedStream(run, victim);
      await run.state.target.push({ session_invalidation: { user_id: victim.userId, device_session_id: victim.deviceSessionId, reason: "conform" } }, run.signal);
      const want = { code: Code.FailedPrecondition, reason: "session_revoked" };
      const ended = await stream.endError();
      // §5.4 names the code and reason of the stream's end, not a stage: none is required of it.
      await expectRejection(Promise.reject(ended), want, run.signal).catch((err: unknown) => {
        throw err instanceof CheckFailed ? new CheckFailed(`the stream: ${err.message}`) : err;
      });
      await expectRejection(executeCommand(client(run), signed(run, victim), run.signal), { ...want, stage: "session" }, run.signal).catch((err: unknown) => {
        throw err instanceof CheckFailed ? new CheckFailed(`a later call: ${err.message}`) : err;
      });
      return "stream ended, later call refused";
    },
  },
];

/** A JSON object payload one byte over the §4 limit (64 KiB). */
function oversizePayload(): Uint8Array {
  const frame = utf8('{"pad":""}').length;
  return utf8(JSON.stringify({ pad: "x".repeat(MAX_PAYLOAD_BYTES + 1 - frame) }));
}
