// The listener's limits: what a connection may take in time and size before it is cut (docs/SECURITY.md).
// Each protocol applies them in its own way (http1.ts, http2.ts, sniff.ts); what responses may hold
// unsent is response-limits.ts.
import { DEFAULT_RESPONSE_LIMITS, type ResponseLimits } from "../response-limits.js";

export interface ListenerLimits extends ResponseLimits {
  /**
   * A connection whose first bytes (up to the h2 preface), or with TLS whose handshake, do not arrive
   * within this time is closed.
   */
  sniffTimeoutMs: number;
  /** HTTP/1.1: time allowed to receive a request's headers, from its first byte (then 408 + close). */
  headersTimeoutMs: number;
  /**
   * Time allowed to receive a whole request (headers and body): HTTP/1.1 answers 408 and closes the
   * connection, HTTP/2 resets the stream (CANCEL). Responses (SubscribeEvents streams) are not limited.
   */
  requestTimeoutMs: number;
  /**
   * An idle connection is closed. HTTP/1.1: no byte moved either way for this long, between requests
   * or with its response stalled. HTTP/2: no request came and no response byte was taken for this long
   * (PING, SETTINGS and other control frames do not count); it gets GOAWAY with its stalled streams
   * reset, and streams that have nothing to send (a quiet SubscribeEvents) go on until they end.
   */
  idleTimeoutMs: number;
  /** Request head (HTTP/1.1: 431) or header list (HTTP/2 SETTINGS_MAX_HEADER_LIST_SIZE). */
  maxHeaderBytes: number;
  /** HTTP/2: concurrent streams per connection (SETTINGS_MAX_CONCURRENT_STREAMS). */
  maxConcurrentStreams: number;
  /** Open TCP connections; past it new ones are closed at once. */
  maxConnections: number;
}

export const DEFAULT_LISTENER_LIMITS: ListenerLimits = {
  sniffTimeoutMs: 10_000,
  headersTimeoutMs: 15_000,
  requestTimeoutMs: 30_000,
  idleTimeoutMs: 120_000,
  maxHeaderBytes: 16 * 1024,
  maxConcurrentStreams: 256,
  // A developer's browser, tools and tests: a few dozen connections. 1,000 leaves room for load tests
  // and bounds the worst case (each holding a file descriptor and its kernel buffers).
  maxConnections: 1_000,
  ...DEFAULT_RESPONSE_LIMITS,
};
