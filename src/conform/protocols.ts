// The three RPC protocols a gateway serves (PROTOCOL.md §1), each as a connect-node client of
// EdgeGateway. gRPC needs HTTP/2; Connect and gRPC-Web go over HTTP/1.1, the path browsers take, so
// that one run covers both HTTP versions the spec requires of the listener. Each client owns its
// connections (an HTTP/2 session manager or an HTTP/1.1 agent) so that close() leaves nothing open,
// which matters when the run is in-process (tests) rather than a CLI that exits.
import http from "node:http";
import https from "node:https";
import { createClient, type Client, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport, Http2SessionManager } from "@connectrpc/connect-node";
import { EdgeGateway } from "../shared/gen/galaxy/gateway/v1/gateway_pb.js";

export const PROTOCOLS = ["connect", "grpc", "grpcweb"] as const;
export type Protocol = (typeof PROTOCOLS)[number];

export const PROTOCOL_LABELS: Record<Protocol, string> = { connect: "Connect", grpc: "gRPC", grpcweb: "gRPC-Web" };

export function isProtocol(name: string): name is Protocol {
  return (PROTOCOLS as readonly string[]).includes(name);
}

export interface ProtocolClient {
  protocol: Protocol;
  edge: Client<typeof EdgeGateway>;
  close(): void;
}

export function protocolClient(protocol: Protocol, baseUrl: string): ProtocolClient {
  if (protocol === "grpc") {
    const sessionManager = new Http2SessionManager(baseUrl);
    const transport = createGrpcTransport({ baseUrl, sessionManager });
    return { protocol, edge: createClient(EdgeGateway, transport), close: () => sessionManager.abort() };
  }
  const agent = new URL(baseUrl).protocol === "https:" ? new https.Agent({ keepAlive: true }) : new http.Agent({ keepAlive: true });
  const options = { baseUrl, httpVersion: "1.1" as const, nodeOptions: { agent } };
  const transport: Transport = protocol === "connect" ? createConnectTransport(options) : createGrpcWebTransport(options);
  return { protocol, edge: createClient(EdgeGateway, transport), close: () => agent.destroy() };
}
