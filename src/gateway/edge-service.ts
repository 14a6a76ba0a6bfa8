// EdgeGateway (gateway.proto) served through connect-es: both RPCs run their stage list from
// pipeline.ts, every rejection carries a GatewayError detail, every answer is signed.
import { Code, createContextKey, type ConnectRouter, type HandlerContext } from "@connectrpc/connect";
import {
  EdgeGateway,
  type ExecuteCommandRequest,
  type ExecuteCommandResponse,
  GatewayEventSchema,
  type GatewayEvent,
  type SubscribeEventsRequest,
} from "../shared/gen/galaxy/gateway/v1/gateway_pb.js";
import { SERVER_TIME_EVENT_TYPE, type JournalEntry, type JournalStage } from "../shared/protocol.js";
import { codeName } from "./code-names.js";
import { directStreamKey } from "./direct-stream.js";
import { journalBody, type Journal } from "./journal.js";
import type { TurnBudget } from "./loop-turn.js";
import { roundMs, runPipeline, type Pipelines } from "./pipeline.js";
import type { PushHub } from "./push/push-hub.js";
import { deadlineExpired, deadlineRejection, GatewayRejection, type GatewayCall, type RpcName } from "./stages/stage.js";
import { signedEvent, signedResponse, type Signer } from "./signing/signed-messages.js";

/** The client's address, put into the handler context by the listener. */
export const clientIpKey = createContextKey<string>("unknown", { description: "client IP address" });

export interface EdgeServiceDeps {
  pipelines: Pipelines;
  /** This gateway's budget for starting calls in one turn of the event loop (pipeline.ts). */
  newCalls: TurnBudget;
  hub: PushHub;
  journal: Journal;
  signer: Signer;
  /** Gateway clock in ms, with the configured offset. */
  now(): number;
  /** Aborted when a shutdown's drain time is over: calls still running answer gateway_shutting_down. */
  shutdownSignal?: AbortSignal;
  /** Cluster mode: this instance's id, written into each journal entry. */
  instance?: string;
}

export function edgeGatewayRoutes(deps: EdgeServiceDeps): (router: ConnectRouter) => void {
  let serverTimeEvents = 0;

  function newCall(rpc: RpcName, ctx: HandlerContext, req: ExecuteCommandRequest | SubscribeEventsRequest): GatewayCall {
    return {
      rpc,
      clientIp: ctx.values.get(clientIpKey),
      receivedAtMs: deps.now(),
      rawEnvelope: req.envelope,
      payloadBytes: "payloadBytes" in req ? req.payloadBytes : new Uint8Array(0),
      signature: req.signature,
      signal: ctx.signal,
      timeoutMs: () => ctx.timeoutMs(),
    };
  }

  function record(call: GatewayCall, ctx: HandlerContext, stages: JournalStage[], outcome: Partial<JournalEntry>): void {
    const env = call.rawEnvelope;
    deps.journal.append({
      at_ms: call.receivedAtMs,
      rpc: call.rpc,
      protocol: protocolOf(ctx),
      device_session_id: env?.deviceSessionId ?? "",
      request_id: env?.requestId ?? "",
      message_type: env?.messageType ?? "",
      stages,
      code: "ok",
      ...(call.rpc === "ExecuteCommand" ? { request_body: journalBody(call.payloadBytes) } : {}),
      ...(call.injected ? { injected: call.injected } : {}),
      ...outcome,
      ...(deps.instance !== undefined ? { instance: deps.instance } : {}),
    });
  }

  /** A call cut short by the end of a shutdown drain (its signal aborted) says so, not blaming the backend or the client. */
  function duringShutdown(rejection: GatewayRejection | undefined): GatewayRejection | undefined {
    if (!rejection || !deps.shutdownSignal?.aborted) return rejection;
    if (rejection.code !== Code.Unavailable && rejection.code !== Code.Canceled) return rejection;
    return new GatewayRejection(Code.Unavailable, "gateway_shutting_down", rejection.stage, "the gateway is shutting down");
  }

  /** Runs the call through its pipeline; a rejection is journaled and thrown as the call's answer. */
  async function admit(call: GatewayCall, ctx: HandlerContext, stagesToRun: Pipelines[keyof Pipelines]): Promise<JournalStage[]> {
    const outcome = await runPipeline(stagesToRun, call, deps.newCalls);
    const rejection = duringShutdown(outcome.rejection);
    if (rejection) {
      record(call, ctx, outcome.stages, { code: rejectionCode(rejection), reason: rejection.reason });
      throw rejection.toConnectError(deps.now());
    }
    return outcome.stages;
  }

  async function executeCommand(req: ExecuteCommandRequest, ctx: HandlerContext): Promise<ExecuteCommandResponse> {
    const call = newCall("ExecuteCommand", ctx, req);
    const stages = await admit(call, ctx, deps.pipelines.executeCommand);
    const reply = call.backendReply!;
    const resultCode = call.resultCode!;
    record(call, ctx, stages, { result_code: resultCode, response_body: journalBody(reply.body), ...(call.stub ? { stub: call.stub } : {}) });
    return signedResponse(deps.signer, {
      deviceSessionId: call.envelope!.deviceSessionId,
      requestId: call.envelope!.requestId,
      timestampMs: deps.now(),
      resultCode,
      payloadBytes: reply.body,
    });
  }

  async function* subscribeEvents(req: SubscribeEventsRequest, ctx: HandlerContext): AsyncGenerator<GatewayEvent> {
    const call = newCall("SubscribeEvents", ctx, req);
    const stages = await admit(call, ctx, deps.pipelines.subscribeEvents);
    const env = call.envelope!;
    const session = call.session!;
    const eventFields = { deviceSessionId: env.deviceSessionId, requestId: env.requestId };

    // Register before the first event so nothing pushed after the client sees server_time is missed.
    let stream;
    try {
      stream = deps.hub.register(session.user_id, env.deviceSessionId);
    } catch (err) {
      if (!(err instanceof GatewayRejection)) throw err;
      record(call, ctx, [...stages, { stage: "push", ok: false, ms: 0, reason: err.reason }], { code: rejectionCode(err), reason: err.reason });
      throw err.toConnectError(deps.now());
    }
    record(call, ctx, stages, {});
    const openedAt = performance.now();
    // The signal aborts when the client goes or when the call's deadline runs out (deadlineExpired: a
    // client with its own deadline timer cancelling at it counts too); the latter ends the stream with
    // DEADLINE_EXCEEDED (connect-node would otherwise end it as a success).
    const onAbort = () => stream.end(deadlineExpired(call) ? deadlineRejection("push") : "client_gone");
    ctx.signal.addEventListener("abort", onAbort, { once: true });
    // Each event is offered to DirectStream first, which writes it past connect-node's stream writer
    // once connect-node has sent the headers and every event yielded to it; until then (server_time,
    // and events pushed while it is on its way) it declines and the event is yielded, in order. A
    // fan-out's signatures are batched onto the signing pool (the next event waits for the previous one's write).
    const direct = ctx.values.get(directStreamKey);
    const sentDirectly = (event: GatewayEvent): Promise<boolean> | false => direct?.offer(GatewayEventSchema, event, ctx.signal) ?? false;
    try {
      const serverTime = deps.now();
      const first = await signedEvent(deps.signer, {
        ...eventFields,
        eventType: SERVER_TIME_EVENT_TYPE,
        eventId: `gw-${++serverTimeEvents}`,
        timestampMs: serverTime,
        payloadBytes: new TextEncoder().encode(JSON.stringify({ server_time_ms: serverTime })),
      });
      if (!(await sentDirectly(first))) yield first;
      // A subscribe fault (faults/) may drop or double pushed events (same event id) and cut the stream.
      // The cut comes when the stream would send one event more than cut_after_events.
      const fault = call.streamFault;
      let cut: "unavailable" | "reset" | undefined;
      for await (const event of stream.events()) {
        const copies = fault ? fault.copies() : 1;
        if (copies === 0) continue;
        const signed = await signedEvent(deps.signer, { ...eventFields, ...event, timestampMs: deps.now() });
        for (let i = 0; i < copies && !(cut = fault?.cutDue()); i++) {
          if (!(await sentDirectly(signed))) yield signed;
          fault?.sentOne();
        }
        if (cut) break;
      }
      if (cut) {
        // The cut gets its own journal entry (same request_id, stage push), marked with the fault.
        const push = { stage: "push" as const, ok: false, ms: roundMs(performance.now() - openedAt), reason: "injected_fault" };
        record(call, ctx, [...stages, push], { code: cut === "reset" ? "internal" : "unavailable", reason: "injected_fault" });
        if (cut === "reset" && direct) return await direct.reset();
        throw new GatewayRejection(Code.Unavailable, "injected_fault", "push", `stream cut by injected fault ${fault!.id}`);
      }
    } catch (err) {
      if (err instanceof GatewayRejection) throw err.toConnectError(deps.now());
      throw err;
    } finally {
      ctx.signal.removeEventListener("abort", onAbort);
      deps.hub.unregister(stream);
      // The entry written when the stream opened says ok; a deadline that ends it gets its own entry
      // (same request_id, stage push, ms = how long the stream was open), so the journal says how the
      // call ended. Only the deadline: other endings (revoked, shutdown, client gone) keep the one entry.
      if (deadlineExpired(call)) {
        const ended = deadlineRejection("push");
        const push = { stage: "push" as const, ok: false, ms: roundMs(performance.now() - openedAt), reason: ended.reason };
        record(call, ctx, [...stages, push], { code: rejectionCode(ended), reason: ended.reason });
      }
    }
  }

  return (router) => router.service(EdgeGateway, { executeCommand, subscribeEvents });
}

function protocolOf(ctx: HandlerContext): JournalEntry["protocol"] {
  const name = ctx.protocolName;
  return name === "grpc" || name === "grpc-web" ? name : "connect";
}

function rejectionCode(rejection: GatewayRejection): string {
  return codeName(rejection.code);
}
