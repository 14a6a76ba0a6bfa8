// The Connect / gRPC / gRPC-Web request handler of the gateway: connect-node's `connectNodeAdapter`,
// re-assembled from its public pieces (router, universal request/response) so that two things it does
// with hostile input are fixed at the edge:
// - a request without an authority (HTTP/1.0 without Host, HTTP/2 without :authority) made the adapter
//   throw out of the request listener: an uncaught exception, i.e. a crashed gateway. It gets one.
// - a request body that does not decode is reported as INTERNAL (HTTP 500 on Connect unary), although
//   the client is at fault: it becomes INVALID_ARGUMENT (client-decode-errors.ts).
// A deadline longer than a Node timer can hold counts as none (dropUnrepresentableDeadline).
// It also hands each server-streaming call its raw response (direct-stream.ts), through which
// SubscribeEvents writes its later events once connect-node has written the ones before, and accepts
// gzip, deflate (deflate-compression.ts) and br. What it relies on in connect-es beyond its public
// API is in connect-internals.ts.
import type http from "node:http";
import type http2 from "node:http2";
import {
  Code,
  ConnectError,
  createConnectRouter,
  createContextValues,
  type ConnectRouter,
  type ConnectRouterOptions,
  type ContextValues,
} from "@connectrpc/connect";
import type { UniversalServerResponse } from "@connectrpc/connect/protocol";
import {
  compressionBrotli,
  compressionGzip,
  universalRequestFromNodeRequest,
  universalResponseToNodeResponse,
} from "@connectrpc/connect-node";
import { protocolOf, remapConnectUnary, remapEndFrame, remapGrpcTrailer, type RpcProtocol } from "./client-decode-errors.js";
import { writeObservedResponse } from "./connect-internals.js";
import { compressionDeflate } from "./deflate-compression.js";
import { DirectStream, directStreamKey, type NodeResponse } from "./direct-stream.js";
import { EnvelopeFollower } from "./envelope-frames.js";

type NodeRequest = http.IncomingMessage | http2.Http2ServerRequest;

export interface RpcHandlerOptions extends ConnectRouterOptions {
  routes: (router: ConnectRouter) => void;
  contextValues?: (req: NodeRequest) => ContextValues;
}

/** Authority used for a request that names none (only to build the URL connect-es wants). */
const FALLBACK_AUTHORITY = "localhost";

export function createRpcHandler(options: RpcHandlerOptions): (req: NodeRequest, res: NodeResponse) => void {
  const router = createConnectRouter({ acceptCompression: [compressionGzip, compressionDeflate, compressionBrotli], ...options });
  options.routes(router);
  const paths = new Map(router.handlers.map((h) => [h.requestPath, h]));

  return function rpcHandler(req, res) {
    const uHandler = paths.get((req.url ?? "").split("?", 1)[0]!);
    if (!uHandler) {
      res.writeHead(404);
      res.end();
      return;
    }
    const contentType = String(req.headers["content-type"] ?? "").toLowerCase();
    let uReq;
    let direct: DirectStream | undefined;
    try {
      ensureAuthority(req);
      dropUnrepresentableDeadline(req);
      const values = options.contextValues?.(req) ?? createContextValues();
      if (uHandler.method.methodKind === "server_streaming") values.set(directStreamKey, (direct = new DirectStream(res, contentType)));
      uReq = universalRequestFromNodeRequest(req, res as http.ServerResponse, undefined, values);
    } catch (err) {
      // Never expected after ensureAuthority; answer rather than throw out of the listener.
      console.error("gateway: cannot read RPC request", err);
      if (!res.headersSent) res.writeHead(400, { "content-type": "application/json" });
      res.end(JSON.stringify({ code: "invalid_argument", message: "malformed HTTP request" }));
      return;
    }
    uHandler(uReq)
      .then((uRes) => answer(uRes, res, protocolOf(contentType), direct))
      .catch((reason: unknown) => {
        if (ConnectError.from(reason).code === Code.Aborted) return;
        console.error(`gateway: handler for rpc ${uHandler.method.name} failed`, reason);
      });
  };
}

function ensureAuthority(req: NodeRequest): void {
  const headers = req.headers as Record<string, string | string[] | undefined>;
  if (req.httpVersionMajor >= 2) {
    if (!headers[":authority"] && !headers.host) headers[":authority"] = FALLBACK_AUTHORITY;
  } else if (!headers.host) {
    headers.host = FALLBACK_AUTHORITY;
  }
}

/**
 * The longest delay a Node timer holds: 2^31 − 1 ms, about 24.8 days. connect-es hands a call's deadline
 * to setTimeout as it is, and Node fires a longer timer after 1 ms (printing a TimeoutOverflowWarning):
 * such a call would fail at once with DEADLINE_EXCEEDED, and any caller could fill the log with warnings.
 */
const MAX_TIMER_MS = 2 ** 31 - 1;
/** The deadline headers as connect-es parses them (protocol-connect/parse-timeout, protocol-grpc/parse-timeout). */
const CONNECT_TIMEOUT = /^\d{1,10}$/;
const GRPC_TIMEOUT = /^(\d{1,8})([HMSmun])$/;
const GRPC_TIMEOUT_UNIT_MS: Record<string, number> = { H: 3_600_000, M: 60_000, S: 1_000, m: 1, u: 1e-3, n: 1e-6 };

/**
 * A deadline beyond MAX_TIMER_MS is treated as no deadline: its header is dropped before connect-es
 * reads it. A client asking for 30 days (grpc-go sends `grpc-timeout: 2592000S`) means "no hurry", and
 * nothing the gateway does lasts that long anyway. Malformed values are left for connect-es to refuse.
 */
function dropUnrepresentableDeadline(req: NodeRequest): void {
  const headers = req.headers as Record<string, string | string[] | undefined>;
  const connectTimeout = headers["connect-timeout-ms"];
  if (typeof connectTimeout === "string" && CONNECT_TIMEOUT.test(connectTimeout) && Number(connectTimeout) > MAX_TIMER_MS) {
    delete headers["connect-timeout-ms"];
  }
  const grpcTimeout = headers["grpc-timeout"];
  const grpc = typeof grpcTimeout === "string" ? GRPC_TIMEOUT.exec(grpcTimeout) : null;
  if (grpc && Number(grpc[1]) * GRPC_TIMEOUT_UNIT_MS[grpc[2]!]! > MAX_TIMER_MS) delete headers["grpc-timeout"];
}

/**
 * Writes the answer. Connect unary: as it is once a decode error's status is settled. The framed
 * protocols: through an EnvelopeFollower, which holds back the end frame (rewritten if it reports a
 * decode error) and counts the messages written, for DirectStream. Per chunk, a few steps per frame
 * header; no copy.
 */
function answer(uRes: UniversalServerResponse, res: NodeResponse, protocol: RpcProtocol, direct: DirectStream | undefined): Promise<void> {
  if (protocol === "connect-unary") {
    if (uRes.status !== 500) return universalResponseToNodeResponse(uRes, res as http.ServerResponse);
    return remapConnectUnary(uRes).then((settled) => universalResponseToNodeResponse(settled, res as http.ServerResponse));
  }
  const frames = new EnvelopeFollower();
  return writeObservedResponse(uRes, res, {
    chunk: (chunk) => frames.push(chunk),
    written: () => direct?.messagesWritten(frames.messages),
    end: () => {
      if (protocol === "grpc") remapGrpcTrailer(uRes.trailer);
      const end = frames.endFrame();
      return end && remapEndFrame(end, protocol);
    },
  });
}
