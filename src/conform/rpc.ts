// What the checks do over EdgeGateway: signed requests on the gateway's clock, expecting a §4
// rejection, and reading a SubscribeEvents stream one event at a time.
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import {
  ExecuteCommandRequestSchema,
  GatewayErrorSchema,
  type ExecuteCommandRequest,
  type GatewayEvent,
  type SubscribeEventsRequest,
} from "../shared/gen/galaxy/gateway/v1/gateway_pb.js";
import { CheckFailed } from "./check-failed.js";
import type { ProtocolClient } from "./protocols.js";

/** "INVALID_ARGUMENT" for Code.InvalidArgument: how PROTOCOL.md §4 names codes. */
export function codeName(code: Code): string {
  return (Code[code] ?? `CODE_${code}`).replace(/([a-z])([A-Z])/g, "$1_$2").toUpperCase();
}

export interface ExpectedRejection {
  code: Code;
  reason: string;
  /** The §4 table's stage; unchecked where the spec names none. */
  stage?: string;
}

/** "UNAUTHENTICATED unknown_session at session", or what stands in for a missing detail. */
export function describeRejection(err: unknown): string {
  const e = ConnectError.from(err);
  const detail = gatewayError(e);
  if (!detail) return `${codeName(e.code)} without a GatewayError detail (${oneLine(e.rawMessage)})`;
  return `${codeName(e.code)} ${detail.reason || "(no reason)"} at ${detail.stage || "(no stage)"}`;
}

function gatewayError(e: ConnectError) {
  try {
    return e.findDetails(GatewayErrorSchema)[0];
  } catch {
    return undefined;
  }
}

/**
 * Resolves when `call` fails with exactly the expected code and reason, and for a §4 rejection its
 * stage and a server_time_ms ("the detail also carries stage and server_time_ms"); anything else is
 * a CheckFailed.
 */
export async function expectRejection(call: Promise<unknown>, want: ExpectedRejection, signal: AbortSignal): Promise<void> {
  const expected = `${codeName(want.code)} ${want.reason}${want.stage === undefined ? "" : ` at ${want.stage}`}`;
  try {
    await call;
  } catch (err) {
    if (signal.aborted) throw signal.reason;
    const e = ConnectError.from(err);
    const detail = gatewayError(e);
    const ok = e.code === want.code && detail?.reason === want.reason && (want.stage === undefined || detail.stage === want.stage);
    if (!ok) throw new CheckFailed(`expected ${expected}, got ${describeRejection(e)}`);
    if (want.stage !== undefined && detail.serverTimeMs <= 0n) throw new CheckFailed(`${want.reason}: the GatewayError detail has no server_time_ms`);
    return;
  }
  throw new CheckFailed(`expected ${expected}, but the call passed`);
}

/** A deep copy to tamper with (the original stays the signed, valid request). */
export function copyRequest(req: ExecuteCommandRequest): ExecuteCommandRequest {
  return create(ExecuteCommandRequestSchema, structuredClone(req));
}

export function executeCommand(client: ProtocolClient, req: ExecuteCommandRequest, signal: AbortSignal) {
  return client.edge.executeCommand(req, { signal });
}

/** Most events read past the ones a check waits for, before it gives up: bounds a chatty stream. */
const MAX_EVENTS_SKIPPED = 32;

export interface EventStream {
  /** The next event; CheckFailed if the stream ends first (with its error, if any). */
  next(what: string): Promise<GatewayEvent>;
  /** The next event of this type, skipping others (at most MAX_EVENTS_SKIPPED). */
  nextOfType(eventType: string): Promise<GatewayEvent>;
  /** The error that ends the stream, skipping events (at most MAX_EVENTS_SKIPPED). */
  endError(): Promise<unknown>;
}

export function openEventStream(client: ProtocolClient, req: SubscribeEventsRequest, signal: AbortSignal): EventStream {
  const iterator = client.edge.subscribeEvents(req, { signal })[Symbol.asyncIterator]();
  const next = async (what: string): Promise<GatewayEvent> => {
    let result: IteratorResult<GatewayEvent>;
    try {
      result = await iterator.next();
    } catch (err) {
      if (signal.aborted) throw signal.reason;
      throw new CheckFailed(`the stream ended with ${describeRejection(err)} before ${what}`);
    }
    if (result.done) throw new CheckFailed(`the stream ended before ${what}`);
    return result.value;
  };
  return {
    next,
    async nextOfType(eventType) {
      for (let skipped = 0; skipped <= MAX_EVENTS_SKIPPED; skipped++) {
        const event = await next(`a ${eventType} event`);
        if (event.envelope?.eventType === eventType) return event;
      }
      throw new CheckFailed(`no ${eventType} event within ${MAX_EVENTS_SKIPPED} others`);
    },
    async endError() {
      for (let skipped = 0; skipped <= MAX_EVENTS_SKIPPED; skipped++) {
        try {
          if ((await iterator.next()).done) throw new CheckFailed("the stream ended without an error");
        } catch (err) {
          if (err instanceof CheckFailed) throw err;
          if (signal.aborted) throw signal.reason;
          return err;
        }
      }
      throw new CheckFailed(`the stream did not end within ${MAX_EVENTS_SKIPPED} events`);
    },
  };
}

/** Text on one line, at most 200 characters: a table cell's reason. */
export function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > 200 ? `${flat.slice(0, 199)}…` : flat;
}
