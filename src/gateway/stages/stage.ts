// What every stage of §4 shares: the call being checked and the rejection a stage throws.
import { Code, ConnectError } from "@connectrpc/connect";
import { create } from "@bufbuild/protobuf";
import { GatewayErrorSchema, type RequestEnvelope } from "../../shared/gen/galaxy/gateway/v1/gateway_pb.js";
import type { BackendSession, GatewayReason, JournalStub, PipelineStageName, Route, StageName } from "../../shared/protocol.js";
import type { BackendReply } from "../backend/rest-client.js";
import type { StreamFault } from "../faults/fault-set.js";

export type RpcName = "ExecuteCommand" | "SubscribeEvents";

/** The state a call accumulates as it passes the stages; each stage reads what earlier ones set. */
export interface GatewayCall {
  rpc: RpcName;
  clientIp: string;
  /** Gateway clock (with the configured offset) when the call arrived. */
  receivedAtMs: number;
  /** As received: validated by the envelope stage, which then sets `envelope`. */
  rawEnvelope: RequestEnvelope | undefined;
  payloadBytes: Uint8Array;
  signature: Uint8Array;
  envelope?: RequestEnvelope;
  session?: BackendSession;
  sessionPublicKey?: Uint8Array;
  route?: Route;
  backendReply?: BackendReply;
  /** Set by the backend stage: "ok" for 2xx, else the backend's error code (§4). */
  resultCode?: string;
  /** Ids of the faults injected into this call, space-separated (markInjected); its journal entry shows them. */
  injected?: string;
  /** Set by the fault stage of a SubscribeEvents call a subscribe fault hit: what it does to the stream. */
  streamFault?: StreamFault;
  /** Set by the backend stage when the mock's stubs saw the call (its x-galaxy-stub-* answer headers). */
  stub?: JournalStub;
  /** Aborted when the client goes, the call's deadline runs out (see deadlineExpired) or a shutdown ends it. */
  signal: AbortSignal;
  /** Milliseconds left of the client's deadline (grpc-timeout / connect-timeout-ms); undefined without one. */
  timeoutMs(): number | undefined;
}

/** A call that passed every stage up to `envelope` etc. carries these. */
export type CheckedCall = GatewayCall & { envelope: RequestEnvelope; session: BackendSession };

/** "idle": the stage had nothing to do for this call (no fault applied): the journal leaves it out. */
export type StageVerdict = void | "idle";

export interface Stage {
  readonly name: PipelineStageName;
  /**
   * Passes by returning; rejects by throwing a GatewayRejection. Work that waits returns a native
   * Promise (an async function): runPipeline awaits only `instanceof Promise`, so the synchronous
   * stages of a call cost no promise each.
   */
  run(call: GatewayCall): StageVerdict | Promise<StageVerdict>;
}

/** Records that fault `id` was injected into the call. */
export function markInjected(call: Pick<GatewayCall, "injected">, id: string): void {
  call.injected = call.injected ? `${call.injected} ${id}` : id;
}

declare const injectedReason: unique symbol;
/** A GatewayError.reason a fault's author chose (faults/fault-spec.ts checks its characters). */
export type InjectedReason = string & { readonly [injectedReason]: true };

/** A rejection the gateway makes itself: a Connect code plus the GatewayError detail. */
export class GatewayRejection extends Error {
  constructor(
    readonly code: Code,
    readonly reason: GatewayReason | InjectedReason,
    readonly stage: StageName,
    message: string,
    readonly retryAfterMs = 0,
  ) {
    super(message);
  }

  toConnectError(serverTimeMs: number): ConnectError {
    const detail = create(GatewayErrorSchema, {
      reason: this.reason,
      stage: this.stage,
      retryAfterMs: BigInt(Math.max(0, Math.ceil(this.retryAfterMs))),
      serverTimeMs: BigInt(Math.trunc(serverTimeMs)),
    });
    return new ConnectError(`${this.reason}: ${this.message}`, this.code, undefined, [
      { desc: GatewayErrorSchema, value: detail },
    ]);
  }
}

export function requireEnvelope(call: GatewayCall): RequestEnvelope {
  if (!call.envelope) throw new Error("stage order: envelope stage must run first");
  return call.envelope;
}

export function requireSession(call: GatewayCall): BackendSession {
  if (!call.session) throw new Error("stage order: session stage must run first");
  return call.session;
}

/**
 * How close to its deadline an aborted call counts as having run out of time. Clients that keep a
 * deadline timer of their own (connect-es `timeoutMs`, connect-web, grpc-js `deadline`) cancel the
 * stream (RST_STREAM on HTTP/2, the socket closed on HTTP/1.1) at about the moment the gateway's timer
 * for the same deadline fires, and often first: their timer started before the request was sent (for
 * connect-es, before the connection was even made) and the header carries the full value. Measured on
 * loopback, 200 ms deadlines, a new connection per call, 5 clients × 24 calls: the client's cancel won
 * 36 times in 120, with a median of 0-1 ms left, 90% within 4 ms, at most 17 ms, once 81 ms while both
 * cores were busy. 100 ms covers that and a fresh connection's handshake over a LAN; a genuine cancel
 * that close to the deadline only loses the difference between "gave up" and "timed out".
 */
export const DEADLINE_GRACE_MS = 100;

/** What deadlineExpired reads of a call. */
type DeadlineView = Pick<GatewayCall, "signal" | "timeoutMs">;

/**
 * True once the call's deadline has run out: connect-es aborted the handler's signal with
 * DEADLINE_EXCEEDED, or the signal aborted (the client cancelled) within DEADLINE_GRACE_MS of it.
 */
export function deadlineExpired(call: DeadlineView): boolean {
  const { signal } = call;
  if (!signal.aborted) return false;
  if (signal.reason instanceof ConnectError && signal.reason.code === Code.DeadlineExceeded) return true;
  const left = call.timeoutMs();
  return left !== undefined && left <= DEADLINE_GRACE_MS;
}

/** The client's deadline ran out while `stage` ran: its own limit, so neither retryable nor a backend fault. */
export function deadlineRejection(stage: StageName): GatewayRejection {
  return new GatewayRejection(Code.DeadlineExceeded, "deadline_exceeded", stage, "the call's deadline (grpc-timeout / connect-timeout-ms) ran out");
}

/**
 * What an aborted call answers at `stage`: its deadline ran out (see deadlineExpired), or else the
 * client went away (or a shutdown cut the call, which the service names gateway_shutting_down). Either
 * way nobody hears the answer; the journal must not blame the backend for it.
 */
export function abortRejection(call: DeadlineView, stage: StageName): GatewayRejection {
  if (deadlineExpired(call)) return deadlineRejection(stage);
  return new GatewayRejection(Code.Canceled, "client_cancelled", stage, "the client cancelled the call");
}
