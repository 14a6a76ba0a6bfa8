// The 5-byte envelope that Connect streams, gRPC and gRPC-Web put around every message: a flags byte,
// a u32 big-endian length, the bytes. The framing is each protocol's spec (connectrpc.com/docs/protocol,
// grpc's PROTOCOL-HTTP2.md and PROTOCOL-WEB.md), so the gateway does it itself: connect-es's own
// encoder is marked @private (no semver), and connect-es is free to cut a response body into chunks
// anywhere. DirectStream writes envelopes; the RPC adapter follows a body's envelopes across chunks.

export const ENVELOPE_HEADER_BYTES = 5;
/** Flags of the frame that ends a body: Connect end-stream (0x02), gRPC-Web trailers (0x80). Messages carry 0 or 1 (compressed). */
const END_FLAGS = 0x02 | 0x80;
const NOTHING = new Uint8Array(0);

/** One envelope around `data`. Buffer.allocUnsafe: a pooled slab, no zero-fill of bytes set right away. */
export function encodeEnvelope(flags: number, data: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(ENVELOPE_HEADER_BYTES + data.byteLength);
  out[0] = flags;
  out.writeUInt32BE(data.byteLength, 1);
  out.set(data, ENVELOPE_HEADER_BYTES);
  return out;
}

/**
 * Follows the envelopes of a response body chunk by chunk, however the chunks cut them, without copying
 * a message: it counts the message frames that went by and holds back the frame that ends the body
 * (which the adapter may rewrite). Work per chunk: a few steps per frame header, none per payload byte.
 */
export class EnvelopeFollower {
  /** Message frames whose last byte has gone by. */
  messages = 0;
  /** Header bytes of the current frame seen so far (0: at a frame boundary). */
  private headerSeen = 0;
  private length = 0;
  private payloadLeft = 0;
  private end: Uint8Array[] | undefined;

  /** Takes the next chunk; returns its bytes before the end frame, unchanged (the whole chunk when it has none). */
  push(chunk: Uint8Array): Uint8Array {
    if (this.end) {
      this.end.push(chunk);
      return NOTHING;
    }
    const size = chunk.byteLength;
    for (let at = 0; at < size; ) {
      if (this.payloadLeft > 0) {
        const take = Math.min(this.payloadLeft, size - at);
        this.payloadLeft -= take;
        at += take;
        if (this.payloadLeft === 0) this.messages++;
        continue;
      }
      if (this.headerSeen === 0) {
        if (chunk[at]! & END_FLAGS) {
          this.end = [chunk.subarray(at)];
          return chunk.subarray(0, at);
        }
        this.length = 0;
      } else {
        this.length = this.length * 256 + chunk[at]!;
      }
      at++;
      if (++this.headerSeen === ENVELOPE_HEADER_BYTES) {
        this.headerSeen = 0;
        this.payloadLeft = this.length;
        if (this.length === 0) this.messages++;
      }
    }
    return chunk;
  }

  /** The end frame (and anything after it), whole, once the body is over; undefined if it had none. */
  endFrame(): Uint8Array | undefined {
    if (!this.end) return undefined;
    return this.end.length === 1 ? this.end[0] : Buffer.concat(this.end);
  }
}
