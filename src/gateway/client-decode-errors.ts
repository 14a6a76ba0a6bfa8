// A request body that does not decode ("parse binary: …", or a compressed-flag envelope without an
// encoding) is reported by connect-es as INTERNAL (HTTP 500 on Connect unary), although the client is
// at fault: the gateway answers INVALID_ARGUMENT instead, in every protocol's own error format. Which
// errors these are is told by their text alone (connect-internals.ts, R1).
import { Code } from "@connectrpc/connect";
import type { UniversalServerResponse } from "@connectrpc/connect/protocol";
import { isClientDecodeError } from "./connect-internals.js";
import { encodeEnvelope, ENVELOPE_HEADER_BYTES } from "./envelope-frames.js";

export type RpcProtocol = "connect-unary" | "connect-stream" | "grpc" | "grpc-web";

export function protocolOf(contentType: string): RpcProtocol {
  if (contentType.startsWith("application/grpc-web")) return "grpc-web";
  if (contentType.startsWith("application/grpc")) return "grpc";
  if (contentType.startsWith("application/connect+")) return "connect-stream";
  return "connect-unary";
}

/**
 * Connect unary: the error is the whole (small, uncompressed) JSON body of a 500. It is read, and the
 * status settled, before the response is written, so nothing depends on when the writer reads `status`.
 */
export async function remapConnectUnary(uRes: UniversalServerResponse): Promise<UniversalServerResponse> {
  if (uRes.status !== 500 || !uRes.body || uRes.header?.get("content-encoding")) return uRes;
  const chunks: Uint8Array[] = [];
  for await (const chunk of uRes.body) chunks.push(chunk);
  const bytes = Buffer.concat(chunks);
  const fixed = remapErrorJson(bytes, (e) => e);
  if (fixed) uRes.header?.set("content-length", String(fixed.byteLength));
  return { ...uRes, status: fixed ? 400 : uRes.status, body: once(fixed ?? bytes) };
}

/** gRPC: the status is in the trailers (complete once the body is over: connect-internals.ts, R3). */
export function remapGrpcTrailer(trailer: Headers | undefined): void {
  if (trailer && trailer.get("grpc-status") === "13" && isClientDecodeError(percentDecode(trailer.get("grpc-message")))) {
    trailer.set("grpc-status", String(Code.InvalidArgument));
  }
}

/** The frame that ends a body, whole: Connect end-stream (flag 0x02, JSON) or gRPC-Web trailers (flag 0x80). */
export function remapEndFrame(frame: Uint8Array, protocol: RpcProtocol): Uint8Array {
  if (frame.byteLength < ENVELOPE_HEADER_BYTES) return frame;
  const flags = frame[0]!;
  const length = Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength).readUInt32BE(1);
  if (length !== frame.byteLength - ENVELOPE_HEADER_BYTES) return frame;
  const payload = frame.subarray(ENVELOPE_HEADER_BYTES);
  let fixed: Uint8Array | undefined;
  // A compressed end frame (flag 0x01 too) is left alone: decode errors are far below compressMinBytes.
  if (protocol === "connect-stream" && flags === 0x02) {
    fixed = remapErrorJson(payload, (e) => (e as { error?: unknown }).error);
  } else if (protocol === "grpc-web" && flags === 0x80) {
    const text = Buffer.from(payload).toString("latin1");
    const message = /^grpc-message: ?(.*?)\r?$/im.exec(text)?.[1];
    if (/^grpc-status: ?13\r?$/im.test(text) && isClientDecodeError(percentDecode(message))) {
      fixed = Buffer.from(text.replace(/^grpc-status: ?13(\r?)$/im, `grpc-status: ${Code.InvalidArgument}$1`), "latin1");
    }
  }
  return fixed ? encodeEnvelope(flags, fixed) : frame;
}

/** `{"code":"internal","message":"parse binary: …"}` (possibly nested) → invalid_argument; else undefined. */
function remapErrorJson(bytes: Uint8Array, errorOf: (root: unknown) => unknown): Uint8Array | undefined {
  let root: unknown;
  try {
    root = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("utf8"));
  } catch {
    return undefined;
  }
  const error = errorOf(root) as { code?: unknown; message?: unknown } | undefined;
  if (!error || error.code !== "internal" || typeof error.message !== "string" || !isClientDecodeError(error.message)) return undefined;
  error.code = "invalid_argument";
  return Buffer.from(JSON.stringify(root));
}

function percentDecode(text: string | null | undefined): string | undefined {
  if (text == null) return undefined;
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

async function* once(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield bytes;
}
