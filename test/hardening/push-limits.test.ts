// Push-side limits through real SubscribeEvents streams: a device session holds at most
// `streamsPerSession` streams (the next is refused with RESOURCE_EXHAUSTED too_many_streams at stage
// "push"), and a consumer that stops reading is cut off with RESOURCE_EXHAUSTED slow_consumer once its
// bounded queue is full, instead of the queue growing. HTTP/2 flow control is what makes the gateway's
// writes block while the client does not read.
import http2 from "node:http2";
import { fromBinary, toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningEmulator } from "../../src/emulator/start.js";
import { DEFAULT_PUSH_LIMITS } from "../../src/gateway/push/push-hub.js";
import {
  GatewayErrorSchema,
  SubscribeEventsRequestSchema,
} from "../../src/shared/gen/galaxy/gateway/v1/gateway_pb.js";
import { subscribeEventsRequest } from "../../src/shared/sdk.js";
import {
  getJson,
  patchConfig,
  postJson,
  signIn,
  startTestEmulator,
  subscribe,
  TRANSPORT_NAMES,
  type SignedInDevice,
  type TransportName,
} from "../support/emulator.js";
import { reasonOf, stageOf } from "./support.js";

const QUEUE_EVENTS = 16;
let emulator: RunningEmulator;

beforeAll(async () => {
  // The mock keeps its state in memory here: 400 pushes of 8 KiB are about the gateway's queues, not
  // about the mock's disk (each persisted push rewrites up to 1 MiB of log).
  emulator = await startTestEmulator({ limits: { streamQueueEvents: QUEUE_EVENTS }, persistMockBackend: false });
  const big = { rate_per_s: 1e6, burst: 1e6 };
  await patchConfig(emulator.url, { rate_limits: { per_ip: big, per_session: big, per_user: big, per_message_type: big } });
});
afterAll(() => emulator.close());

const open = (device: SignedInDevice, transport: TransportName = "connect h2") => subscribe(emulator.url, device, transport);

async function errorOf(promise: Promise<unknown>): Promise<ConnectError | undefined> {
  return promise.then(
    () => undefined,
    (err: unknown) => ConnectError.from(err),
  );
}

describe("SubscribeEvents streams per device session", () => {
  it(`the ${DEFAULT_PUSH_LIMITS.streamsPerSession + 1}th is refused with RESOURCE_EXHAUSTED too_many_streams (stage push) on every protocol`, async () => {
    const device = await signIn(emulator.url);
    const cap = DEFAULT_PUSH_LIMITS.streamsPerSession;
    const streams = Array.from({ length: cap }, (_, i) => open(device, TRANSPORT_NAMES[i % TRANSPORT_NAMES.length]));
    for (const s of streams) expect((await s.next()).envelope?.eventType).toBe("gateway.server_time");

    for (const transport of TRANSPORT_NAMES) {
      const extra = open(device, transport);
      const err = await errorOf(extra.next());
      expect({ transport, code: err?.code, reason: err && reasonOf(err), stage: err && stageOf(err) }).toEqual({
        transport,
        code: Code.ResourceExhausted,
        reason: "too_many_streams",
        stage: "push",
      });
    }
    // Another session of the same user is not affected.
    const other = await signIn(emulator.url, device.email);
    const otherStream = open(other);
    expect((await otherStream.next()).envelope?.eventType).toBe("gateway.server_time");
    otherStream.cancel();

    // The journal shows the refusal.
    const journal = await getJson(`${emulator.url}/emulator/v1/journal`);
    const refused = journal.json.entries.findLast((e: any) => e.device_session_id === device.deviceSessionId && e.code !== "ok");
    expect(refused).toMatchObject({ rpc: "SubscribeEvents", code: "resource_exhausted", reason: "too_many_streams" });
    expect(refused.stages.at(-1)).toMatchObject({ stage: "push", ok: false, reason: "too_many_streams" });

    // A closed stream frees its slot (the gateway learns of it asynchronously: retry until accepted).
    streams[0]!.cancel();
    for (;;) {
      const retry = open(device);
      const first = await retry.next().then(
        (e) => e,
        (err: unknown) => ConnectError.from(err),
      );
      if (first instanceof ConnectError) {
        expect(reasonOf(first)).toBe("too_many_streams");
        continue;
      }
      expect(first.envelope?.eventType).toBe("gateway.server_time");
      retry.cancel();
      break;
    }
    for (const s of streams) s.cancel();
  });
});

/**
 * A raw HTTP/2 SubscribeEvents stream that is paused after the response headers: node stops
 * acknowledging data, so the gateway's writes block once the flow-control window (64 KiB) is full.
 * (connect-node's client cannot be used for this: it reads eagerly into its own buffers.)
 */
async function pausedSubscription(device: SignedInDevice, contentType: "application/connect+proto" | "application/grpc") {
  const session = http2.connect(emulator.url);
  session.on("error", () => {});
  const message = toBinary(SubscribeEventsRequestSchema, subscribeEventsRequest(device));
  const head = Buffer.alloc(5);
  head.writeUInt32BE(message.length, 1);
  const stream = session.request({ ":method": "POST", ":path": "/galaxy.gateway.v1.EdgeGateway/SubscribeEvents", "content-type": contentType });
  stream.on("error", () => {});
  stream.end(Buffer.concat([head, message]));
  const status = await new Promise<number>((resolve) => stream.once("response", (h) => resolve(Number(h[":status"]))));
  expect(status).toBe(200);
  stream.pause();
  let trailers: http2.IncomingHttpHeaders = {};
  stream.once("trailers", (t) => (trailers = t));
  return {
    /** Resumes reading and collects everything until the gateway ends the stream. */
    async drain(): Promise<{ messages: number; end: string; trailers: http2.IncomingHttpHeaders }> {
      const chunks: Buffer[] = [];
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.resume();
      await new Promise<void>((resolve) => stream.once("end", () => resolve()));
      session.close();
      const body = Buffer.concat(chunks);
      let messages = 0;
      let end = "";
      for (let at = 0; at + 5 <= body.length; at += 5 + body.readUInt32BE(at + 1)) {
        const payload = body.subarray(at + 5, at + 5 + body.readUInt32BE(at + 1));
        if (body[at]! & 0x02) end = payload.toString("utf8");
        else messages++;
      }
      return { messages, end, trailers };
    },
  };
}

describe("a consumer that never reads", () => {
  it.each(["application/connect+proto", "application/grpc"] as const)(
    "over %s: cut off with RESOURCE_EXHAUSTED slow_consumer while a reading stream of the same user gets everything",
    async (contentType) => {
      const slowDevice = await signIn(emulator.url);
      const fastDevice = await signIn(emulator.url, slowDevice.email); // same user, another session
      expect(fastDevice.userId).toBe(slowDevice.userId);
      const slow = await pausedSubscription(slowDevice, contentType);
      const fast = open(fastDevice, "grpc h2");
      expect((await fast.next()).envelope?.eventType).toBe("gateway.server_time");

      // 200 events of 8 KiB: far more than the flow-control window plus QUEUE_EVENTS can hold. The
      // fast stream reads as they come.
      const TOTAL = 200;
      const seen: string[] = [];
      const fastRead = (async () => {
        while (seen.length < TOTAL) seen.push((await fast.next()).envelope!.eventId);
      })();
      const padding = "x".repeat(8 * 1024);
      const ids: string[] = [];
      for (let i = 0; i < TOTAL; i++) {
        const r = await postJson(`${emulator.url}/emulator/v1/push`, {
          client_event: { user_id: slowDevice.userId, event_type: "test.flood", payload: { i, padding } },
        });
        expect(r.status).toBe(200);
        ids.push(r.json.event_id);
      }
      // When the reading stream has the last event, the hub has offered every event to both streams.
      await fastRead;
      expect(seen).toEqual(ids);
      fast.cancel();

      // Now the slow one reads: what was in flight (the flow-control window), then the cut-off.
      const { messages, end, trailers } = await slow.drain();
      expect(messages).toBeGreaterThanOrEqual(1); // gateway.server_time at least
      expect(messages).toBeLessThan(TOTAL);
      if (contentType === "application/grpc") {
        expect(trailers["grpc-status"]).toBe(String(Code.ResourceExhausted));
        expect(decodeURIComponent(String(trailers["grpc-message"]))).toMatch(/^slow_consumer: /);
      } else {
        const error = JSON.parse(end).error;
        expect(error.code).toBe("resource_exhausted");
        const detail = fromBinary(GatewayErrorSchema, Buffer.from(error.details[0].value, "base64"));
        expect({ reason: detail.reason, stage: detail.stage }).toEqual({ reason: "slow_consumer", stage: "push" });
      }
    },
  );
});
