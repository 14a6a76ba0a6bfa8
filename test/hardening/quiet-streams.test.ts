// A SubscribeEvents stream that has nothing to send is not a stalled one (issue 10, review item 3):
// the stall timeout cuts only responses with bytes waiting, and the idle timeout of an HTTP/2
// connection that holds nothing but quiet streams sends GOAWAY (no new streams there) while the
// streams carry on. Limits shaped like the defaults (stall < idle), scaled down; the clock is the h2
// connection's GOAWAY: once it came, more than both timeouts have passed.
import http2 from "node:http2";
import { fromBinary, toBinary } from "@bufbuild/protobuf";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningEmulator } from "../../src/emulator/start.js";
import { GatewayEventSchema, SubscribeEventsRequestSchema, type GatewayEvent } from "../../src/shared/gen/galaxy/gateway/v1/gateway_pb.js";
import { subscribeEventsRequest } from "../../src/shared/sdk.js";
import { postJson, signIn, startTestEmulator, subscribe, type SignedInDevice } from "../support/emulator.js";

const LIMITS = { writeStallTimeoutMs: 200, idleTimeoutMs: 800 };

let emulator: RunningEmulator;
beforeAll(async () => {
  emulator = await startTestEmulator({ limits: LIMITS });
});
afterAll(() => emulator.close());

/** SubscribeEvents over a raw h2 connection (Connect, binary): its events in order, and the connection. */
function rawSubscription(device: SignedInDevice) {
  const session = http2.connect(emulator.url);
  session.on("error", () => {});
  const goaway = new Promise<void>((resolve) => session.once("goaway", () => resolve()));
  const message = toBinary(SubscribeEventsRequestSchema, subscribeEventsRequest(device));
  const head = Buffer.alloc(5);
  head.writeUInt32BE(message.length, 1);
  const stream = session.request({
    ":method": "POST",
    ":path": "/galaxy.gateway.v1.EdgeGateway/SubscribeEvents",
    "content-type": "application/connect+proto",
  });
  stream.on("error", () => {});
  stream.end(Buffer.concat([head, message]));
  const events: GatewayEvent[] = [];
  const waiters: (() => void)[] = [];
  let pending = Buffer.alloc(0);
  stream.on("data", (chunk: Buffer) => {
    pending = Buffer.concat([pending, chunk]);
    while (pending.length >= 5 && pending.length >= 5 + pending.readUInt32BE(1)) {
      const length = pending.readUInt32BE(1);
      if (pending[0] === 0) events.push(fromBinary(GatewayEventSchema, pending.subarray(5, 5 + length)));
      pending = pending.subarray(5 + length);
      waiters.splice(0).forEach((wake) => wake());
    }
  });
  const ended = new Promise<void>((resolve) => stream.once("close", () => resolve()));
  return {
    session,
    stream,
    goaway,
    /** Resolves with the n-th event (0-based) once it has arrived; rejects if the stream ends first. */
    async event(n: number): Promise<GatewayEvent> {
      while (events.length <= n) {
        if (stream.closed) throw new Error(`stream closed after ${events.length} events (rst ${stream.rstCode})`);
        await Promise.race([new Promise<void>((wake) => waiters.push(wake)), ended]);
      }
      return events[n]!;
    },
  };
}

describe("quiet SubscribeEvents streams with stall timeout < idle timeout", () => {
  it("HTTP/2 and HTTP/1.1: not cut while they have nothing to send; the idle h2 connection gets GOAWAY and its stream still delivers", async () => {
    const device = await signIn(emulator.url);
    const h2 = rawSubscription(device);
    const h1 = subscribe(emulator.url, device, "connect h1");
    try {
      expect((await h2.event(0)).envelope?.eventType).toBe("gateway.server_time");
      expect((await h1.next()).envelope?.eventType).toBe("gateway.server_time");

      // Nothing to send on either: the h2 connection goes idle. Its GOAWAY means that more than the
      // idle timeout (and so the stall timeout) has passed.
      await h2.goaway;
      expect(h2.stream.closed).toBe(false);

      const pushed = await postJson(`${emulator.url}/emulator/v1/push`, {
        client_event: { user_id: device.userId, event_type: "game.after.quiet", payload: { late: true } },
      });
      expect(pushed.status).toBe(200);
      expect((await h2.event(1)).envelope).toMatchObject({ eventType: "game.after.quiet", eventId: pushed.json.event_id });
      expect((await h1.next()).envelope).toMatchObject({ eventType: "game.after.quiet", eventId: pushed.json.event_id });
    } finally {
      h1.cancel();
      h2.session.destroy();
    }
  });
});
