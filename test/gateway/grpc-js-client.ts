// An EdgeGateway client built with @grpc/grpc-js (the reference gRPC implementation for Node, not
// connect-es): messages are (de)serialised with the generated schemas, everything else is grpc-js.
import * as grpc from "@grpc/grpc-js";
import { fromBinary, toBinary, type DescMessage, type MessageShape } from "@bufbuild/protobuf";
import {
  EdgeGateway,
  ExecuteCommandRequestSchema,
  ExecuteCommandResponseSchema,
  GatewayEventSchema,
  SubscribeEventsRequestSchema,
  type ExecuteCommandRequest,
  type ExecuteCommandResponse,
  type GatewayEvent,
  type SubscribeEventsRequest,
} from "../../src/shared/gen/galaxy/gateway/v1/gateway_pb.js";

function codec<Desc extends DescMessage>(schema: Desc) {
  return {
    serialize: (message: MessageShape<Desc>) => Buffer.from(toBinary(schema, message)),
    deserialize: (bytes: Buffer) => fromBinary(schema, bytes),
  };
}

const request = codec(ExecuteCommandRequestSchema);
const response = codec(ExecuteCommandResponseSchema);
const subscribeRequest = codec(SubscribeEventsRequestSchema);
const event = codec(GatewayEventSchema);

// The generic constructor's methods are untyped; the cast below names the two this file defines.
const EdgeGatewayClient = grpc.makeGenericClientConstructor(
  {
    executeCommand: {
      path: `/${EdgeGateway.typeName}/ExecuteCommand`,
      requestStream: false,
      responseStream: false,
      requestSerialize: request.serialize,
      requestDeserialize: request.deserialize,
      responseSerialize: response.serialize,
      responseDeserialize: response.deserialize,
    },
    subscribeEvents: {
      path: `/${EdgeGateway.typeName}/SubscribeEvents`,
      requestStream: false,
      responseStream: true,
      requestSerialize: subscribeRequest.serialize,
      requestDeserialize: subscribeRequest.deserialize,
      responseSerialize: event.serialize,
      responseDeserialize: event.deserialize,
    },
  },
  "EdgeGateway",
);

export type GrpcCompression = "identity" | "deflate" | "gzip";
const COMPRESSION_ALGORITHMS: Record<GrpcCompression, number> = { identity: 0, deflate: 1, gzip: 2 };

export interface GrpcJsEdgeClient {
  executeCommand(req: ExecuteCommandRequest, deadline?: Date): Promise<ExecuteCommandResponse>;
  /** Reads the stream to its end: the events, then the status it ended with. */
  subscribeEvents(req: SubscribeEventsRequest, deadline?: Date): Promise<{ events: GatewayEvent[]; status: grpc.StatusObject }>;
  close(): void;
}

/** `gatewayUrl` is the emulator's http URL; `compression` is what grpc-js sends requests with. */
export function grpcJsEdgeClient(gatewayUrl: string, compression: GrpcCompression = "identity"): GrpcJsEdgeClient {
  const client = new EdgeGatewayClient(new URL(gatewayUrl).host, grpc.credentials.createInsecure(), {
    "grpc.default_compression_algorithm": COMPRESSION_ALGORITHMS[compression],
  }) as unknown as grpc.Client & {
    executeCommand: (req: ExecuteCommandRequest, meta: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<ExecuteCommandResponse>) => void;
    subscribeEvents: (req: SubscribeEventsRequest, meta: grpc.Metadata, options: grpc.CallOptions) => grpc.ClientReadableStream<GatewayEvent>;
  };
  return {
    executeCommand: (req, deadline) =>
      new Promise((resolve, reject) => {
        client.executeCommand(req, new grpc.Metadata(), deadline ? { deadline } : {}, (err, res) => (err ? reject(err) : resolve(res!)));
      }),
    subscribeEvents: (req, deadline) =>
      new Promise((resolve) => {
        const events: GatewayEvent[] = [];
        const call = client.subscribeEvents(req, new grpc.Metadata(), deadline ? { deadline } : {});
        call.on("data", (e: GatewayEvent) => events.push(e));
        call.on("error", () => {}); // the status says it all
        call.on("status", (status: grpc.StatusObject) => resolve({ events, status }));
      }),
    close: () => client.close(),
  };
}
