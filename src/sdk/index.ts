// galaxy-gateway-emulator/sdk: the client SDK (browsers and Node; no Node built-ins).
export { createGatewayClient, DEFAULT_CALL_TIMEOUT_MS, PROTOCOLS, type ExecuteResult, type GatewayClient, type GatewayClientOptions, type Protocol } from "./client.js";
export { DEVICE_EXPORT_FORMAT, type DeviceExport } from "./device.js";
export { GatewayCallError, GatewayHttpError, VerificationError } from "./errors.js";
export { DEFAULT_STREAM_BACKOFF, type ReceivedEvent, type SubscribeOptions } from "./events.js";
export type { BusinessErrorBody, DefaultEvents, DefaultMessageType, DefaultRoutes, Fleet, Profile, SessionSummary } from "./routes.js";
export type { BackoffPolicy } from "../shared/backoff.js";
export type { GatewayInfo } from "../shared/protocol.js";
// The lower level (one signed request, one verified answer or event, the RPC client): for tools that
// show or break each step, as the web console's Commands, Events and tamper lab do.
export {
  commandRequest,
  createEdgeGatewayRpc,
  signRequest,
  subscribeEventsRequest,
  verifyResponse,
  verifyStreamEvent,
  type DeviceIdentity,
  type EdgeGatewayRpc,
  type RequestOptions,
  type RpcOptions,
  type SignedRequest,
  type Verification,
} from "./signed-call.js";
