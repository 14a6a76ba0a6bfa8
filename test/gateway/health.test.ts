// grpc.health.v1.Health through a running emulator, on every protocol and transport: Check answers
// SERVING (NOT_FOUND for a service the gateway does not serve), buf curl's Check too, and Watch
// streams send NOT_SERVING when the shutdown begins, then end without holding it up.
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningEmulator } from "../../src/emulator/start.js";
import { Health, HealthCheckResponse_ServingStatus as Status } from "../../src/shared/gen/grpc/health/v1/health_pb.js";
import { JSON_TRANSPORTS, startTestEmulator, TRANSPORTS, type TransportName } from "../support/emulator.js";
import { bufCurl } from "./buf-cli.js";

const ALL_TRANSPORTS = { ...TRANSPORTS, ...JSON_TRANSPORTS };

let emulator: RunningEmulator;

beforeAll(async () => {
  emulator = await startTestEmulator();
});
afterAll(() => emulator.close());

const health = (transport: TransportName, url = emulator.url) => createClient(Health, ALL_TRANSPORTS[transport](url));

describe.each(Object.keys(ALL_TRANSPORTS) as TransportName[])("Health over %s", (transport) => {
  it("Check: SERVING for the server and for EdgeGateway, NOT_FOUND for another name", async () => {
    expect((await health(transport).check({ service: "" })).status).toBe(Status.SERVING);
    expect((await health(transport).check({ service: "galaxy.gateway.v1.EdgeGateway" })).status).toBe(Status.SERVING);
    const err = await health(transport).check({ service: "galaxy.gateway.v1.Nothing" }).catch((e: unknown) => ConnectError.from(e));
    expect(err).toBeInstanceOf(ConnectError);
    expect((err as ConnectError).code).toBe(Code.NotFound);
  });
});

it("buf curl grpc.health.v1.Health/Check (schema by reflection) answers SERVING", async () => {
  const result = await bufCurl([`${emulator.url}/grpc.health.v1.Health/Check`]);
  expect(result.stderr).toBe("");
  expect(JSON.parse(result.stdout)).toEqual({ status: "SERVING" });
});

/** A Watch stream being read: the statuses so far, its first answer, and its end. */
function watch(transport: TransportName, url: string, service: string) {
  const statuses: Status[] = [];
  let onFirst!: () => void;
  const first = new Promise<void>((resolve) => (onFirst = resolve));
  const done = (async () => {
    for await (const answer of health(transport, url).watch({ service })) {
      statuses.push(answer.status);
      onFirst();
    }
  })();
  return { transport, statuses, first, done };
}

it("Watch: SERVING, then NOT_SERVING when the shutdown begins, then the stream ends and the shutdown completes", async () => {
  const doomed = await startTestEmulator();
  const watchers = (["grpc h2", "connect h1", "grpc-web h1"] as const).map((transport) => watch(transport, doomed.url, ""));
  const unknown = watch("grpc h2", doomed.url, "nope");
  await Promise.all([...watchers, unknown].map((w) => w.first));
  await doomed.close();
  for (const w of watchers) {
    await w.done; // ended without an error
    expect(w.statuses, w.transport).toEqual([Status.SERVING, Status.NOT_SERVING]);
  }
  await unknown.done;
  expect(unknown.statuses).toEqual([Status.SERVICE_UNKNOWN]);
});

it.each(["grpc h2", "connect h1", "grpc-web h1"] as const)("Watch with a deadline over %s: SERVING, then DEADLINE_EXCEEDED", async (transport) => {
  const header: Record<string, string> = transport.startsWith("connect") ? { "connect-timeout-ms": "500" } : { "grpc-timeout": "500m" };
  const statuses: Status[] = [];
  let ended: unknown = "the stream ended without an error";
  try {
    for await (const answer of health(transport).watch({ service: "" }, { headers: header })) statuses.push(answer.status);
  } catch (err) {
    ended = Code[ConnectError.from(err).code];
  }
  expect(statuses).toEqual([Status.SERVING]);
  expect(ended).toBe("DeadlineExceeded");
});
