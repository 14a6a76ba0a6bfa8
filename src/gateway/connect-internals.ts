// Every behaviour of connect-es that the gateway relies on and that its public API does not promise,
// in one place. Each was read in the source of the exact versions below (package.json pins them) and
// is checked against the installed packages by test/gateway/connect-internals.test.ts, which fails
// naming the package, the version and the reliance when an upgrade changes one.
//
// R1 (@connectrpc/connect, protocol/serialization.ts, protocol/envelope.ts): a request message that
//    does not decode fails with Code.Internal and one of two message texts: "parse binary: …" (binary
//    codec; JSON fails with InvalidArgument already) and "received compressed envelope, but do not know
//    how to decompress" (compressed flag without a negotiated encoding). The text is the only thing that
//    tells these client faults from a server fault; isClientDecodeError matches it.
// R2 (@connectrpc/connect-node, universalResponseToNodeResponse): it writes the headers with the first
//    body chunk, hands each chunk to res.write before it asks the body for the next one, and reads
//    `trailer` only after the body ended. writeObservedResponse builds on it: a body generator resumed
//    after `yield chunk` knows `chunk` was written, and what it puts in `trailer` last is sent.
// R3 (@connectrpc/connect, protocol-grpc/handler-factory.ts): a gRPC handler's status (grpc-status,
//    grpc-message) is set in the response's `trailer` while its body ends, so it is there once the body is over.
//
// What is NOT relied on (and so is not here): the order in which connect-node reads `status` (the
// adapter settles it before answering), how connect-es cuts a body into chunks (envelope-frames.ts
// follows frames across any cut), when connect-es resumes a handler's generator (DirectStream counts
// the messages written instead), connect-es's @private envelope encoder (envelope-frames.ts).
import type http from "node:http";
import type { UniversalServerResponse } from "@connectrpc/connect/protocol";
import { universalResponseToNodeResponse } from "@connectrpc/connect-node";
import type { NodeResponse } from "./direct-stream.js";

/** The versions of @connectrpc/connect and @connectrpc/connect-node the reliances above were verified against. */
export const CONNECT_VERIFIED_VERSION = "2.1.1";

/** R1: the messages of connect-es's errors that are caused by the request bytes, not by the server. */
const CLIENT_DECODE_ERROR = /^(?:\[internal\] )?(?:parse binary: |received compressed envelope, but do not know how to decompress)/;

/** R1: whether an INTERNAL error's message says the request did not decode. */
export function isClientDecodeError(message: string | undefined): boolean {
  return message !== undefined && CLIENT_DECODE_ERROR.test(message);
}

/** What writeObservedResponse tells about a response body as connect-node writes it. */
export interface BodyObserver {
  /** A chunk the handler's body produced; returns the bytes to send now (possibly fewer, never reordered). */
  chunk(chunk: Uint8Array): Uint8Array;
  /** What chunk() returned last has been handed to res.write (R2). */
  written(): void;
  /** The body is over and its trailer complete (R3); returns the bytes it held back, to send last. */
  end(): Uint8Array | undefined;
}

/** Writes `uRes` to `res` with connect-node's writer, its body passed through `observer` (R2). */
export function writeObservedResponse(uRes: UniversalServerResponse, res: NodeResponse, observer: BodyObserver): Promise<void> {
  const body = uRes.body;
  if (!body) return universalResponseToNodeResponse(uRes, res as http.ServerResponse);
  return universalResponseToNodeResponse({ ...uRes, body: observe(body, observer) }, res as http.ServerResponse);
}

async function* observe(body: AsyncIterable<Uint8Array>, observer: BodyObserver): AsyncGenerator<Uint8Array> {
  for await (const chunk of body) {
    const now = observer.chunk(chunk);
    if (now.byteLength > 0) yield now;
    observer.written();
  }
  const last = observer.end();
  if (last) yield last;
}
