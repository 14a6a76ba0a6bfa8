// The "deflate" message encoding, which connect-node does not ship (it has gzip and br): grpc-js and
// grpcio clients can be configured with it. In the gRPC and HTTP specs "deflate" is the zlib format
// (RFC 1950: header, deflate data, Adler-32), not raw deflate, so inflate/deflate, not *Raw.
// Like connect-node's gzip, decompression stops at the message size limit (a zip bomb costs no more
// memory than one allowed message) and bad data is the client's fault.
import { promisify } from "node:util";
import zlib from "node:zlib";
import { Code, ConnectError } from "@connectrpc/connect";
import type { Compression } from "@connectrpc/connect/protocol";

const deflate = promisify(zlib.deflate);
const inflate = promisify(zlib.inflate);

export const compressionDeflate: Compression = {
  name: "deflate",
  async compress(bytes) {
    return overArrayBuffer(await deflate(bytes));
  },
  async decompress(bytes, readMaxBytes) {
    if (bytes.length === 0) return new Uint8Array(0);
    try {
      return overArrayBuffer(await inflate(bytes, { maxOutputLength: readMaxBytes }));
    } catch (err) {
      throw asConnectError(err, readMaxBytes);
    }
  },
};

function asConnectError(err: unknown, readMaxBytes: number): ConnectError {
  switch ((err as { code?: unknown }).code) {
    case "ERR_BUFFER_TOO_LARGE":
      return new ConnectError(`message is larger than configured readMaxBytes ${readMaxBytes} after decompression`, Code.ResourceExhausted, undefined, undefined, err);
    case "Z_DATA_ERROR": // not zlib data, or a bad checksum
    case "Z_BUF_ERROR": // truncated
      return new ConnectError("decompression failed: the message is not valid deflate (zlib) data", Code.InvalidArgument, undefined, undefined, err);
    default:
      return new ConnectError("decompression failed", Code.Internal, undefined, undefined, err);
  }
}

/** Compression's contract wants bytes over an ArrayBuffer (not a SharedArrayBuffer), as connect-node's gzip. */
function overArrayBuffer(bytes: Buffer): Uint8Array<ArrayBuffer> {
  return bytes.buffer instanceof ArrayBuffer ? (bytes as Uint8Array<ArrayBuffer>) : new Uint8Array(bytes);
}
