// Server reflection (grpc.reflection.v1 and v1alpha) through a running emulator: `buf curl` with no
// --schema discovers the API and calls ExecuteCommand and SubscribeEvents; connect-es clients ask the
// reflection service directly over gRPC, gRPC-Web and Connect; a file goes out with its imports.
import { create, createFileRegistry, fromBinary, fromJson, toJsonString, type DescService } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema, file_google_protobuf_timestamp } from "@bufbuild/protobuf/wkt";
import { createClient, createRouterTransport, type Transport } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningEmulator } from "../../src/emulator/start.js";
import { reflectionRoutes } from "../../src/gateway/services/reflection.js";
import {
  ExecuteCommandRequestSchema,
  ExecuteCommandResponseSchema,
  GatewayEventSchema,
  SubscribeEventsRequestSchema,
} from "../../src/shared/gen/galaxy/gateway/v1/gateway_pb.js";
import * as v1 from "../../src/shared/gen/grpc/reflection/v1/reflection_pb.js";
import { executeCommandRequest, subscribeEventsRequest, verifyEvent, verifyResponse } from "../../src/shared/sdk.js";
import { gatewayPublicKey, postJson, signIn, startTestEmulator, TRANSPORTS, type SignedInDevice } from "../support/emulator.js";
import { bufCurl, jsonObjects } from "./buf-cli.js";

const SERVICE = "galaxy.gateway.v1.EdgeGateway";
const ALL_SERVICES = ["galaxy.gateway.v1.EdgeGateway", "grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection", "grpc.reflection.v1alpha.ServerReflection"];

let emulator: RunningEmulator;
let gatewayKey: Uint8Array;
let device: SignedInDevice;

beforeAll(async () => {
  emulator = await startTestEmulator();
  gatewayKey = await gatewayPublicKey(emulator.url);
  device = await signIn(emulator.url);
});
afterAll(() => emulator.close());

describe("buf curl without --schema (server reflection)", () => {
  it("lists the services", async () => {
    const result = await bufCurl(["--list-services", emulator.url]);
    expect(result.stderr).toBe("");
    expect(result.stdout.trim().split("\n").sort()).toEqual(ALL_SERVICES);
  });

  it.each([
    ["grpc-v1", ["--protocol", "grpc"]],
    ["grpc-v1alpha", ["--protocol", "grpc", "--reflect-protocol", "grpc-v1alpha"]],
    ["grpc-v1", ["--protocol", "connect"]],
    ["grpc-v1", ["--protocol", "grpcweb"]],
  ])("ExecuteCommand, schema by %s reflection, %j: a signed response that verifies", async (_reflection, flags) => {
    const req = executeCommandRequest(device, { messageType: "user.profile.get" });
    const result = await bufCurl([...flags, "--data", toJsonString(ExecuteCommandRequestSchema, req), `${emulator.url}/${SERVICE}/ExecuteCommand`]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const res = fromJson(ExecuteCommandResponseSchema, JSON.parse(result.stdout));
    expect(res.envelope?.resultCode).toBe("ok");
    expect(verifyResponse(res, gatewayKey, { requestId: req.envelope!.requestId })).toEqual({ ok: true });
  });

  it("SubscribeEvents: server_time, then the revocation ends the stream", async () => {
    const subscriber = await signIn(emulator.url);
    let revoked = false;
    const result = await bufCurl(
      ["--data", toJsonString(SubscribeEventsRequestSchema, subscribeEventsRequest(subscriber)), `${emulator.url}/${SERVICE}/SubscribeEvents`],
      (stdout) => {
        if (jsonObjects(stdout).length >= 1 && !revoked) {
          revoked = true;
          void postJson(`${emulator.url}/emulator/v1/push`, {
            session_invalidation: { user_id: subscriber.userId, device_session_id: subscriber.deviceSessionId, reason: "test" },
          });
        }
      },
    );
    const events = jsonObjects(result.stdout).map((o) => fromJson(GatewayEventSchema, o as never));
    expect(events.map((e) => e.envelope?.eventType)).toEqual(["gateway.server_time"]);
    expect(verifyEvent(events[0]!, gatewayKey)).toEqual({ ok: true });
    expect(result.stderr).toContain("session_revoked");
  });
});

/** One request on a fresh reflection stream; the answers of several requests on one stream. */
async function ask(transport: Transport, ...requests: v1.ServerReflectionRequest["messageRequest"][]): Promise<v1.ServerReflectionResponse[]> {
  const client = createClient(v1.ServerReflection, transport);
  const answers: v1.ServerReflectionResponse[] = [];
  async function* input() {
    for (const messageRequest of requests) yield create(v1.ServerReflectionRequestSchema, { host: "test", messageRequest });
  }
  for await (const answer of client.serverReflectionInfo(input())) answers.push(answer);
  return answers;
}

function fileNames(answer: v1.ServerReflectionResponse): string[] {
  if (answer.messageResponse.case !== "fileDescriptorResponse") throw new Error(`not a file answer: ${answer.messageResponse.case}`);
  return answer.messageResponse.value.fileDescriptorProto.map((bytes) => fromBinary(FileDescriptorProtoSchema, bytes).name);
}

// Bidirectional streams need HTTP/2.
describe.each(["grpc h2", "grpc-web h2", "connect h2"] as const)("the reflection service over %s", (transport) => {
  const reflect = (...requests: v1.ServerReflectionRequest["messageRequest"][]) => ask(TRANSPORTS[transport](emulator.url), ...requests);

  it("lists services, finds files by name and by symbol (method and field too), and answers NOT_FOUND for the unknown", async () => {
    const answers = await reflect(
      { case: "listServices", value: "" },
      { case: "fileByFilename", value: "galaxy/gateway/v1/gateway.proto" },
      { case: "fileContainingSymbol", value: "galaxy.gateway.v1.EdgeGateway.ExecuteCommand" },
      { case: "fileContainingSymbol", value: "galaxy.gateway.v1.RequestEnvelope.request_id" },
      { case: "fileContainingSymbol", value: "grpc.health.v1.HealthCheckResponse.ServingStatus" },
      { case: "fileContainingSymbol", value: "galaxy.gateway.v1.Nothing" },
      { case: "fileByFilename", value: "nothing.proto" },
    );
    expect(answers.map((a) => a.validHost)).toEqual(Array(7).fill("test"));
    const [list, byName, byMethod, byField, byNested, unknownSymbol, unknownFile] = answers;
    expect(list!.messageResponse.case === "listServicesResponse" && list!.messageResponse.value.service.map((s) => s.name).sort()).toEqual(ALL_SERVICES);
    expect(fileNames(byName!)).toEqual(["galaxy/gateway/v1/gateway.proto"]);
    const file = fromBinary(FileDescriptorProtoSchema, (byName!.messageResponse.value as v1.FileDescriptorResponse).fileDescriptorProto[0]!);
    expect(file.service.map((s) => s.name)).toEqual(["EdgeGateway"]);
    expect(file.service[0]!.method.map((m) => m.name)).toEqual(["ExecuteCommand", "SubscribeEvents"]);
    expect(fileNames(byMethod!)).toEqual(["galaxy/gateway/v1/gateway.proto"]);
    expect(fileNames(byField!)).toEqual(["galaxy/gateway/v1/gateway.proto"]);
    expect(fileNames(byNested!)).toEqual(["grpc/health/v1/health.proto"]);
    for (const answer of [unknownSymbol, unknownFile]) {
      expect(answer!.messageResponse.case).toBe("errorResponse");
      expect((answer!.messageResponse.value as v1.ErrorResponse).errorCode).toBe(5); // NOT_FOUND
    }
  });
});

describe("files with imports", () => {
  // A service whose file imports google/protobuf/timestamp.proto (the gateway's own protos import
  // nothing): the file is answered with its import, and the import only once per stream.
  const registry = createFileRegistry(
    create(FileDescriptorProtoSchema, {
      name: "test/clock.proto",
      package: "test",
      syntax: "proto3",
      dependency: ["google/protobuf/timestamp.proto"],
      messageType: [{ name: "Now", field: [{ name: "at", number: 1, type: 11, typeName: ".google.protobuf.Timestamp", label: 1, jsonName: "at" }] }],
      service: [{ name: "Clock", method: [{ name: "Tell", inputType: ".test.Now", outputType: ".test.Now" }] }],
    }),
    (name) => (name === file_google_protobuf_timestamp.proto.name ? file_google_protobuf_timestamp : undefined),
  );
  const clock = registry.getService("test.Clock") as DescService;

  it("sends the transitive imports with a file, once per stream", async () => {
    const transport = createRouterTransport(reflectionRoutes([clock]));
    const [first, again, imported] = await ask(
      transport,
      { case: "fileContainingSymbol", value: "test.Clock" },
      { case: "fileByFilename", value: "test/clock.proto" },
      { case: "fileContainingSymbol", value: "google.protobuf.Timestamp" },
    );
    expect(fileNames(first!)).toEqual(["test/clock.proto", "google/protobuf/timestamp.proto"]);
    expect(fileNames(again!)).toEqual(["test/clock.proto"]);
    expect(fileNames(imported!)).toEqual(["google/protobuf/timestamp.proto"]);
  });
});
