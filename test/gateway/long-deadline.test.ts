// A deadline longer than a Node timer can hold (2^31 − 1 ms, about 24.8 days) counts as no deadline:
// connect-es would hand it to setTimeout, which fires such a timer after 1 ms (printing a
// TimeoutOverflowWarning), so the call failed at once with DEADLINE_EXCEEDED. Here each such header, on
// every transport of its protocol, gets a normal answer from Health/Check and a signed ExecuteCommand,
// a SubscribeEvents stream stays open past a push, and no TimeoutOverflowWarning is emitted.
import { createClient } from "@connectrpc/connect";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { RunningEmulator } from "../../src/emulator/start.js";
import { EdgeGateway } from "../../src/shared/gen/galaxy/gateway/v1/gateway_pb.js";
import { Health, HealthCheckResponse_ServingStatus as Status } from "../../src/shared/gen/grpc/health/v1/health_pb.js";
import { executeCommandRequest, subscribeEventsRequest } from "../../src/shared/sdk.js";
import { postJson, signIn, startTestEmulator, TRANSPORTS, type SignedInDevice } from "../support/emulator.js";

let emulator: RunningEmulator;
let device: SignedInDevice;
const overflowWarnings: string[] = [];
const onWarning = (warning: Error) => {
  if (warning.name === "TimeoutOverflowWarning") overflowWarnings.push(warning.message);
};

beforeAll(async () => {
  process.on("warning", onWarning);
  emulator = await startTestEmulator();
  device = await signIn(emulator.url);
});
beforeEach(() => {
  overflowWarnings.length = 0;
});
afterAll(async () => {
  process.off("warning", onWarning);
  await emulator?.close();
});

type Transport = keyof typeof TRANSPORTS;
const CONNECT: Transport[] = ["connect h1", "connect h2"];
const GRPC: Transport[] = ["grpc h2", "grpc-web h1", "grpc-web h2"];

/** Header, value, and the transports whose protocol reads that header. */
const TOO_LONG: [string, string, Transport[]][] = [
  ["connect-timeout-ms", "2147483648", CONNECT], // 2^31 ms
  ["connect-timeout-ms", "9999999999", CONNECT], // the longest value the header allows
  ["grpc-timeout", "99999999H", GRPC], // the longest value the header allows
  ["grpc-timeout", "3000000S", GRPC], // about 34.7 days
  ["grpc-timeout", "2592000S", GRPC], // 30 days, as grpc-go sends it
];
const CASES = TOO_LONG.flatMap(([name, value, transports]) => transports.map((t) => [`${name}: ${value}`, t, { [name]: value }] as const));

describe.each(CASES)("%s over %s: no deadline rather than an instant one", (_, transport, headers) => {
  it("Health/Check answers SERVING", async () => {
    const health = createClient(Health, TRANSPORTS[transport](emulator.url));
    expect((await health.check({ service: "" }, { headers })).status).toBe(Status.SERVING);
    expect(overflowWarnings).toEqual([]);
  });

  it("a signed ExecuteCommand is answered ok", async () => {
    const edge = createClient(EdgeGateway, TRANSPORTS[transport](emulator.url));
    const res = await edge.executeCommand(executeCommandRequest(device, { messageType: "user.profile.get" }), { headers });
    expect(res.envelope?.resultCode).toBe("ok");
    expect(overflowWarnings).toEqual([]);
  });

  it("SubscribeEvents is still open when a push arrives", async () => {
    const abort = new AbortController();
    const edge = createClient(EdgeGateway, TRANSPORTS[transport](emulator.url));
    const events = edge.subscribeEvents(subscribeEventsRequest(device), { headers, signal: abort.signal })[Symbol.asyncIterator]();
    try {
      expect((await events.next()).value?.envelope?.eventType).toBe("gateway.server_time");
      const pushed = await postJson(`${emulator.url}/emulator/v1/push`, {
        client_event: { user_id: device.userId, device_session_id: device.deviceSessionId, event_type: "test.long_deadline" },
      });
      expect(pushed.status).toBe(200);
      expect((await events.next()).value?.envelope?.eventType).toBe("test.long_deadline");
    } finally {
      abort.abort();
    }
    expect(overflowWarnings).toEqual([]);
  });
});
