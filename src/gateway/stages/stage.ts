// What every stage of §4 shares: the call being checked and the rejection a stage throws.
import { Code, ConnectError } from "@connectrpc/connect";
import { create } from "@bufbuild/protobuf";
import { GatewayErrorSchema, type RequestEnvelope } from "../../shared/gen/galaxy/gateway/v1/gateway_pb.js";
import type { BackendSession, GatewayReason, PipelineStageName, Route, StageName } from "../../shared/protocol.js";
import type { BackendReply } from "../backend/rest-client.js";

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
  /** Aborted when the client goes, the call's deadline runs out (see deadlineExpired) or a shutdown ends it. */
  signal: AbortSignal;
  /** Milliseconds left of the client's deadline (grpc-timeout / connect-timeout-ms); undefined without one. */
  timeoutMs(): number | undefined;
}

/** A call that passed every stage up to `envelope` etc. carries these. */
export type CheckedCall = GatewayCall & { envelope: RequestEnvelope; session: BackendSession };

export interface Stage {
  readonly name: PipelineStageName;
  /** Passes by returning; rejects by throwing a GatewayRejection. */
  run(call: GatewayCall): void | Promise<void>;
}

/** A rejection the gateway makes itself: a Connect code plus the GatewayError detail. */
export class GatewayRejection extends Error {
  constructor(
    readonly code: Code,
    readonly reason: GatewayReason,
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

/** True once the call's deadline has run out (connect-es aborts the handler's signal with DEADLINE_EXCEEDED). */
export function deadlineExpired(signal: AbortSignal): boolean {
  return signal.aborted && signal.reason instanceof ConnectError && signal.reason.code === Code.DeadlineExceeded;
}

/** The client's deadline ran out while `stage` ran: its own limit, so neither retryable nor a backend fault. */
export function deadlineRejection(stage: StageName): GatewayRejection {
  return new GatewayRejection(Code.DeadlineExceeded, "deadline_exceeded", stage, "the call's deadline (grpc-timeout / connect-timeout-ms) ran out");
}
