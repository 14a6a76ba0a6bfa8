// The SDK's lower level: one signed request, one verified answer or event (PROTOCOL.md §2, §5), and the
// EdgeGateway RPC client over connect-web — without a client's state (kept device, pinned key, clock
// offset, retries, dedupe). createGatewayClient is built on it, and so is the web console, which shows
// every step (signing input, signature, each verification's verdict, a deliberately broken request)
// where the client would throw. The primitives are src/shared/sdk.ts's (pure; the gateway's tests and
// tools sign with them too).
import { create } from "@bufbuild/protobuf";
import { createClient, type Client, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcWebTransport } from "@connectrpc/connect-web";
import { EdgeGateway, ExecuteCommandRequestSchema, type ExecuteCommandRequest, type GatewayEvent } from "../shared/gen/galaxy/gateway/v1/gateway_pb.js";
import { verifyEvent, type SignedRequest, type Verification } from "../shared/sdk.js";
import type { Fetch } from "./rest.js";

export {
  signRequest,
  subscribeEventsRequest,
  verifyResponse,
  type DeviceIdentity,
  type RequestOptions,
  type SignedRequest,
  type Verification,
} from "../shared/sdk.js";

export type Protocol = "connect" | "grpcweb";
export const PROTOCOLS: readonly Protocol[] = ["connect", "grpcweb"];

export type EdgeGatewayRpc = Client<typeof EdgeGateway>;

export interface RpcOptions {
  /** The gateway's origin, e.g. "http://127.0.0.1:8787" (no path). */
  baseUrl: string;
  /** Connect (JSON, default) or gRPC-Web (binary): both run over fetch, in browsers too. */
  protocol?: Protocol;
  /** The fetch to use (default: the global one). */
  fetch?: Fetch;
}

/** The EdgeGateway client over connect-web's fetch transports: what every SDK client and the console call through. */
export function createEdgeGatewayRpc(options: RpcOptions): EdgeGatewayRpc {
  const protocol = options.protocol ?? "connect";
  if (!PROTOCOLS.includes(protocol)) throw new TypeError(`protocol must be one of ${PROTOCOLS.join(", ")}`);
  // A bare reference to the global fetch would be called with the wrong `this` in browsers ("Illegal invocation").
  const fetchImpl: Fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const transportOptions = { baseUrl: options.baseUrl, fetch: fetchImpl };
  const transport: Transport = protocol === "connect" ? createConnectTransport(transportOptions) : createGrpcWebTransport(transportOptions);
  return createClient(EdgeGateway, transport);
}

/** A signed request as ExecuteCommand sends it (the console also sends tampered ones this way). */
export function commandRequest(signed: Pick<SignedRequest, "envelope" | "payloadBytes" | "signature">): ExecuteCommandRequest {
  return create(ExecuteCommandRequestSchema, { envelope: signed.envelope, payloadBytes: signed.payloadBytes, signature: signed.signature });
}

/**
 * An event of a SubscribeEvents stream: its hash and signature against the pinned key, and that it
 * answers this subscription (its device session and request_id echoed). Never throws.
 */
export function verifyStreamEvent(event: GatewayEvent, gatewayPublicKey: Uint8Array, subscription: { deviceSessionId: string; requestId: string }): Verification {
  const verification = verifyEvent(event, gatewayPublicKey);
  if (!verification.ok) return verification;
  if (event.envelope!.deviceSessionId !== subscription.deviceSessionId) return { ok: false, problem: "device_session_id is not this session" };
  if (event.envelope!.requestId !== subscription.requestId) return { ok: false, problem: "request_id does not echo the subscription" };
  return { ok: true };
}
