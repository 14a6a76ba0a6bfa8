// The bare baselines, in their own process: EdgeGateway served by connect-node over h2c with trivial
// implementations and none of the gateway's work (no stages, no backend, no hashing, no signing):
// - ExecuteCommand echoes the request back as a response;
// - SubscribeEvents sends a first event, then one event per injected push to every live stream
//   (POST /emulator/v1/push on a small HTTP/1.1 side listener, body as the control plane takes it).
import http from "node:http";
import http2 from "node:http2";
import type { AddressInfo, Socket } from "node:net";
import { create } from "@bufbuild/protobuf";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import {
  EdgeGateway,
  EventEnvelopeSchema,
  ExecuteCommandResponseSchema,
  GatewayEventSchema,
  ResponseEnvelopeSchema,
  type GatewayEvent,
  type SubscribeEventsRequest,
} from "../src/shared/gen/galaxy/gateway/v1/gateway_pb.js";
import { SERVER_TIME_EVENT_TYPE } from "../src/shared/protocol.js";
import { serveCommands } from "./proc.js";

interface Tick {
  eventType: string;
  eventId: string;
  payloadBytes: Uint8Array;
}

/** Live streams: each has a queue and a waiter, like the gateway's PushHub (but unbounded). */
const streams = new Set<{ queue: Tick[]; wake?: () => void }>();
let tickCount = 0;
const SIGNATURE = new Uint8Array(64);
const HASH = new Uint8Array(32);

function event(req: SubscribeEventsRequest, tick: Tick): GatewayEvent {
  return create(GatewayEventSchema, {
    envelope: create(EventEnvelopeSchema, {
      protocolVersion: 1,
      deviceSessionId: req.envelope?.deviceSessionId ?? "",
      eventType: tick.eventType,
      eventId: tick.eventId,
      timestampMs: BigInt(Date.now()),
      requestId: req.envelope?.requestId ?? "",
      payloadHash: HASH,
    }),
    payloadBytes: tick.payloadBytes,
    signature: SIGNATURE,
  });
}

const handler = connectNodeAdapter({
  routes: (router) =>
    router.service(EdgeGateway, {
      executeCommand(req) {
        const env = req.envelope;
        return create(ExecuteCommandResponseSchema, {
          envelope: create(ResponseEnvelopeSchema, {
            protocolVersion: env?.protocolVersion ?? 1,
            deviceSessionId: env?.deviceSessionId ?? "",
            requestId: env?.requestId ?? "",
            timestampMs: BigInt(Date.now()),
            resultCode: "ok",
            payloadHash: env?.payloadHash ?? new Uint8Array(0),
          }),
          payloadBytes: req.payloadBytes,
          signature: req.signature,
        });
      },
      async *subscribeEvents(req, ctx) {
        const stream: { queue: Tick[]; wake?: () => void } = { queue: [] };
        streams.add(stream);
        const onAbort = () => stream.wake?.();
        ctx.signal.addEventListener("abort", onAbort, { once: true });
        try {
          const now = Date.now();
          yield event(req, { eventType: SERVER_TIME_EVENT_TYPE, eventId: "hello", payloadBytes: Buffer.from(`{"server_time_ms":${now}}`) });
          while (!ctx.signal.aborted) {
            const tick = stream.queue.shift();
            if (tick) yield event(req, tick);
            else await new Promise<void>((resolve) => (stream.wake = resolve));
          }
        } finally {
          ctx.signal.removeEventListener("abort", onAbort);
          streams.delete(stream);
        }
      },
    }),
});

const server = http2.createServer(handler);
// As the gateway's listener does (src/gateway/listener.ts): no Nagle delay on small frames.
server.on("connection", (socket: Socket) => socket.setNoDelay(true));
const sessions = new Set<http2.ServerHttp2Session>();
server.on("session", (s) => {
  sessions.add(s);
  s.once("close", () => sessions.delete(s));
});

const inject = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on("data", (c: Buffer) => chunks.push(c));
  req.on("end", () => {
    if (req.method !== "POST" || req.url !== "/emulator/v1/push") {
      res.writeHead(404).end();
      return;
    }
    const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { client_event: { event_type: string; payload: unknown } };
    const tick: Tick = {
      eventType: body.client_event.event_type,
      eventId: String(++tickCount),
      payloadBytes: Buffer.from(JSON.stringify(body.client_event.payload)),
    };
    for (const stream of streams) {
      stream.queue.push(tick);
      const wake = stream.wake;
      stream.wake = undefined;
      wake?.();
    }
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ event_id: tick.eventId }));
  });
});

function listen(s: http.Server | http2.Http2Server): Promise<string> {
  return new Promise((resolve) => s.listen(0, "127.0.0.1", () => resolve(`http://127.0.0.1:${(s.address() as AddressInfo).port}`)));
}

serveCommands(
  {
    async start() {
      return { url: await listen(server), injectUrl: await listen(inject) };
    },
  },
  async () => {
    for (const s of sessions) s.destroy();
    inject.closeAllConnections();
    await Promise.all([new Promise<void>((resolve) => server.close(() => resolve())), new Promise<void>((resolve) => inject.close(() => resolve()))]);
  },
);
