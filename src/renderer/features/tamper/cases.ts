// The tamper lab: requests broken in one precise way each, and the rejection PROTOCOL.md §4 demands.
import { create } from "@bufbuild/protobuf";
import { toHex, utf8 } from "../../../shared/bytes.js";
import type { StoredDevice } from "../../../shared/bridge.js";
import { ExecuteCommandRequestSchema } from "../../../shared/gen/galaxy/gateway/v1/gateway_pb.js";
import { DEFAULT_FRESHNESS_WINDOW_MS } from "../../../shared/protocol.js";
import { signRequest } from "../../../sdk/signed-call.js";
import type { CallOutcome, CommandService } from "../../services/commands.js";
import { identityOf, toWire } from "../../services/gateway-client.js";

export const PROBE_MESSAGE_TYPE = "user.profile.get";

export interface Expectation {
  code: string;
  reason: string;
  stage: string;
}

export interface TamperRun {
  outcome: CallOutcome;
  /** What exactly was tampered with. */
  detail: string;
  /** For the burst: requests sent until the rejection. */
  count?: number;
}

export interface TamperCase {
  id: string;
  title: string;
  description: string;
  expected: Expectation;
  run(ctx: TamperContext): Promise<TamperRun>;
}

export interface TamperContext {
  /** Sends as the device and keeps the last accepted request (the replay case reads it). */
  commands: Pick<CommandService, "send" | "lastAcceptedFrom">;
  device: StoredDevice;
  freshnessWindowMs?: number;
}

function send(ctx: TamperContext, request: ReturnType<typeof toWire>): Promise<CallOutcome> {
  return ctx.commands.send(ctx.device, request);
}

function fresh(ctx: TamperContext, timestampMs?: number) {
  return signRequest(identityOf(ctx.device), {
    messageType: PROBE_MESSAGE_TYPE,
    payload: {},
    ...(timestampMs !== undefined ? { timestampMs } : {}),
  });
}

function randomSessionId(): string {
  return `ds_${toHex(crypto.getRandomValues(new Uint8Array(16)))}`;
}

export const TAMPER_CASES: TamperCase[] = [
  {
    id: "bad-signature",
    title: "Bad signature",
    description: "Sign a request, then flip one bit of the signature.",
    expected: { code: "UNAUTHENTICATED", reason: "invalid_signature", stage: "signature" },
    async run(ctx) {
      const signed = fresh(ctx);
      const signature = signed.signature.slice();
      const byte = 32; // lowest byte of S (little-endian): S changes by one and stays canonical
      signature[byte]! ^= 0x01;
      const req = toWire({ ...signed, signature });
      return {
        outcome: await send(ctx, req),
        detail: `flipped bit 0 of signature byte ${byte}: ${toHex(signed.signature.slice(byte, byte + 1))} → ${toHex(signature.slice(byte, byte + 1))}`,
      };
    },
  },
  {
    id: "payload-hash",
    title: "Wrong payload hash",
    description: "Sign the hash of one payload, send different payload bytes.",
    expected: { code: "INVALID_ARGUMENT", reason: "payload_hash_mismatch", stage: "payload_hash" },
    async run(ctx) {
      const signed = fresh(ctx);
      const payloadBytes = utf8('{"tampered":true}');
      const req = toWire({ ...signed, payloadBytes });
      return { outcome: await send(ctx, req), detail: `signed SHA-256("{}"), sent '{"tampered":true}'` };
    },
  },
  {
    id: "stale",
    title: "Stale timestamp",
    description: "A correctly signed request stamped 10 minutes ago.",
    expected: { code: "UNAUTHENTICATED", reason: "stale_request", stage: "freshness" },
    async run(ctx) {
      const ts = Date.now() - 10 * 60_000;
      const req = toWire(fresh(ctx, ts));
      return { outcome: await send(ctx, req), detail: `timestamp_ms ${ts} (${new Date(ts).toISOString()}), now − 10 min` };
    },
  },
  {
    id: "replay",
    title: "Replay the last request",
    description: "Resend the identical bytes of the last request the gateway accepted.",
    expected: { code: "ALREADY_EXISTS", reason: "replayed_request", stage: "replay" },
    async run(ctx) {
      const window = ctx.freshnessWindowMs ?? DEFAULT_FRESHNESS_WINDOW_MS;
      let last = ctx.commands.lastAcceptedFrom(ctx.device.deviceSessionId);
      let detail = "";
      if (!last || Date.now() - last.sentAtMs > window / 2) {
        const first = await send(ctx, toWire(fresh(ctx)));
        if (!first.response) return { outcome: first, detail: "could not get a first request accepted" };
        last = { request: first.request, deviceSessionId: ctx.device.deviceSessionId, sentAtMs: Date.now() };
        detail = `no recent accepted request: sent one first (result_code ${first.response.envelope?.resultCode}), then `;
      }
      const copy = create(ExecuteCommandRequestSchema, last.request);
      return {
        outcome: await send(ctx, copy),
        detail: `${detail}resent request_id ${last.request.envelope?.requestId} (${last.request.envelope?.messageType}) unchanged`,
      };
    },
  },
  {
    id: "unknown-session",
    title: "Unknown session",
    description: "Sign with the device key under a random device_session_id.",
    expected: { code: "UNAUTHENTICATED", reason: "unknown_session", stage: "session" },
    async run(ctx) {
      const sessionId = randomSessionId();
      const signed = signRequest({ ...identityOf(ctx.device), deviceSessionId: sessionId }, { messageType: PROBE_MESSAGE_TYPE, payload: {} });
      return { outcome: await send(ctx, toWire(signed)), detail: `device_session_id ${sessionId}` };
    },
  },
  {
    id: "burst",
    title: "Burst past the rate limit",
    description: "Send valid requests back to back until RESOURCE_EXHAUSTED.",
    expected: { code: "RESOURCE_EXHAUSTED", reason: "rate_limited", stage: "rate_limit" },
    async run(ctx) {
      const MAX = 2_000;
      let outcome: CallOutcome | undefined;
      let count = 0;
      const started = performance.now();
      while (count < MAX) {
        count++;
        outcome = await send(ctx, toWire(fresh(ctx)));
        if (outcome.rejection) break;
      }
      const ms = performance.now() - started;
      return {
        outcome: outcome!,
        count,
        detail: outcome?.rejection
          ? `${count - 1} accepted, request #${count} rejected, in ${ms.toFixed(0)} ms`
          : `no rejection after ${MAX} requests`,
      };
    },
  },
];

export function matches(expected: Expectation, got: CallOutcome): Record<keyof Expectation, boolean> {
  const r = got.rejection;
  return {
    code: r?.code === expected.code,
    reason: r?.reason === expected.reason,
    stage: r?.stage === expected.stage,
  };
}
