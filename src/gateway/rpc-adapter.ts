// The Connect / gRPC / gRPC-Web request handler of the gateway: connect-node's `connectNodeAdapter`,
// re-assembled from its public pieces (router, universal request/response) so that two things it does
// with hostile input are fixed at the edge:
// - a request without an authority (HTTP/1.0 without Host, HTTP/2 without :authority) made the adapter
//   throw out of the request listener: an uncaught exception, i.e. a crashed gateway. It gets one.
// - a request body that does not decode ("parse binary: …", or a compressed-flag envelope without an
//   encoding) is reported as INTERNAL (HTTP 500 on Connect unary), although the client is at fault:
//   it becomes INVALID_ARGUMENT, in every protocol's own error format.
// A deadline longer than a Node timer can hold counts as none (dropUnrepresentableDeadline).
// It also hands each server-streaming call its raw response (direct-stream.ts), through which
// SubscribeEvents writes its later events, and accepts gzip, deflate (deflate-compression.ts) and br.
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
import { compressionDeflate } from "./deflate-compression.js";
import { DirectStream, directStreamKey, type NodeResponse } from "./direct-stream.js";
import { encodeEnvelope } from "./envelope-frames.js";

type NodeRequest = http.IncomingMessage | http2.Http2ServerRequest;

export interface RpcHandlerOptions extends ConnectRouterOptions {
  routes: (router: ConnectRouter) => void;
  contextValues?: (req: NodeRequest) => ContextValues;
}

/** connect-es errors that are caused by the request bytes, not by the server. */
const CLIENT_DECODE_ERROR = /^(?:\[internal\] )?(?:parse binary: |received compressed envelope, but do not know how to decompress)/;
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
    try {
      ensureAuthority(req);
      dropUnrepresentableDeadline(req);
      const values = options.contextValues?.(req) ?? createContextValues();
      if (uHandler.method.methodKind === "server_streaming") values.set(directStreamKey, new DirectStream(res, contentType));
      uReq = universalRequestFromNodeRequest(req, res as http.ServerResponse, undefined, values);
    } catch (err) {
      // Never expected after ensureAuthority; answer rather than throw out of the listener.
      console.error("gateway: cannot read RPC request", err);
      if (!res.headersSent) res.writeHead(400, { "content-type": "application/json" });
      res.end(JSON.stringify({ code: "invalid_argument", message: "malformed HTTP request" }));
      return;
    }
    uHandler(uReq)
      .then((uRes) => universalResponseToNodeResponse(remapDecodeErrors(uRes, contentType), res as http.ServerResponse))
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

type Protocol = "connect-unary" | "connect-stream" | "grpc" | "grpc-web";

function protocolOf(contentType: string): Protocol {
  if (contentType.startsWith("application/grpc-web")) return "grpc-web";
  if (contentType.startsWith("application/grpc")) return "grpc";
  if (contentType.startsWith("application/connect+")) return "connect-stream";
  return "connect-unary";
}

function remapDecodeErrors(uRes: UniversalServerResponse, contentType: string): UniversalServerResponse {
  const protocol = protocolOf(contentType);
  if (protocol === "connect-unary") {
    if (uRes.status !== 500 || !uRes.body || uRes.header?.get("content-encoding")) return uRes;
    return remapConnectUnary(uRes);
  }
  const body = uRes.body;
  if (!body || !(Symbol.asyncIterator in body)) return uRes;
  const trailer = uRes.trailer;
  return {
    ...uRes,
    body: (async function* () {
      for await (const chunk of body) yield protocol === "grpc" ? chunk : remapEndOfStream(chunk, protocol);
      if (protocol === "grpc" && trailer && trailer.get("grpc-status") === "13" && isDecodeError(percentDecode(trailer.get("grpc-message")))) {
        trailer.set("grpc-status", String(Code.InvalidArgument));
      }
    })(),
  };
}

/**
 * Connect unary: the error is the whole (small, uncompressed) JSON body of a 500. The status is read
 * by connect-node only after the first body chunk, hence the getter.
 */
function remapConnectUnary(uRes: UniversalServerResponse): UniversalServerResponse {
  const source = uRes.body as AsyncIterable<Uint8Array>;
  const header = uRes.header;
  let status = uRes.status;
  return {
    get status() {
      return status;
    },
    header,
    trailer: uRes.trailer,
    body: (async function* () {
      const chunks: Uint8Array[] = [];
      for await (const chunk of source) chunks.push(chunk);
      let bytes: Uint8Array = Buffer.concat(chunks);
      const fixed = remapErrorJson(bytes, (e) => e);
      if (fixed) {
        bytes = fixed;
        status = 400;
        header?.set("content-length", String(bytes.byteLength));
      }
      yield bytes;
    })(),
  };
}

/** The last envelope of a stream: Connect end-stream (flag 0x02, JSON) or gRPC-Web trailers (flag 0x80). */
function remapEndOfStream(chunk: Uint8Array, protocol: "connect-stream" | "grpc-web"): Uint8Array {
  if (chunk.byteLength < 5) return chunk;
  const flags = chunk[0]!;
  const length = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).readUInt32BE(1);
  if (length !== chunk.byteLength - 5) return chunk;
  const payload = chunk.subarray(5);
  let fixed: Uint8Array | undefined;
  if (protocol === "connect-stream" && flags & 0x02) {
    fixed = remapErrorJson(payload, (e) => (e as { error?: unknown }).error);
  } else if (protocol === "grpc-web" && flags & 0x80) {
    const text = Buffer.from(payload).toString("latin1");
    const message = /^grpc-message: ?(.*?)\r?$/im.exec(text)?.[1];
    if (/^grpc-status: ?13\r?$/im.test(text) && isDecodeError(percentDecode(message))) {
      fixed = Buffer.from(text.replace(/^grpc-status: ?13(\r?)$/im, `grpc-status: ${Code.InvalidArgument}$1`), "latin1");
    }
  }
  return fixed ? encodeEnvelope(flags, fixed) : chunk;
}

/** `{"code":"internal","message":"parse binary: …"}` (possibly nested) → invalid_argument; else undefined. */
function remapErrorJson(bytes: Uint8Array, errorOf: (root: unknown) => unknown): Uint8Array | undefined {
  let root: unknown;
  try {
    root = JSON.parse(Buffer.from(bytes).toString("utf8"));
  } catch {
    return undefined;
  }
  const error = errorOf(root) as { code?: unknown; message?: unknown } | undefined;
  if (!error || error.code !== "internal" || typeof error.message !== "string" || !isDecodeError(error.message)) return undefined;
  error.code = "invalid_argument";
  return Buffer.from(JSON.stringify(root));
}

function isDecodeError(message: string | undefined): boolean {
  return message !== undefined && CLIENT_DECODE_ERROR.test(message);
}

function percentDecode(text: string | null | undefined): string | undefined {
  if (text == null) return undefined;
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
