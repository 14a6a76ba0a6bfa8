// Node behaviour the listener relies on that Node does not document, in one place for an upgrade to
// look at. Verified on Node 20.20.2 (NODE_VERIFIED); test/gateway/node-internals.test.ts exercises each
// directly and fails naming the behaviour and the running Node's version if it changes. Two are
// functions below; three are facts that code elsewhere is built on:
// - an HTTP/2 stream's write callback comes once the peer's flow-control window let its bytes out
//   (HTTP/1.1: once the socket took them): response-limits.ts counts a write as unsent until then;
// - HTTP/1.1 ServerResponse.end(chunk) writes its chunk without calling write(): response-limits.ts
//   counts that chunk in its end();
// - Http2Session.close() ends its socket's writable side once no stream is open, then waits for the
//   client's FIN: listener/http2.ts closes the socket on its 'finish'.
import type http from "node:http";

/** The Node version the behaviours below were verified on. */
export const NODE_VERIFIED = "20.20.2";

/**
 * Starts the headers and request timeouts (headersTimeout, requestTimeout, checked every
 * connectionsCheckingInterval) of an http.Server that never listens itself but is handed its
 * connections ('connection', which is public). Node sets up that tracking when the server emits
 * 'listening' (lib/_http_server.js, setupConnectionsTracking): without it a client could dribble a
 * request head forever. The returned stop clears it again through the public close() (which clears the
 * interval first); until then the interval holds the server and all its handler reaches.
 */
export function startRequestTimeouts(server: http.Server): () => void {
  server.emit("listening");
  return () => server.close();
}

/**
 * The octets a header name or value took on the wire. Node hands HTTP/1.1 and HTTP/2 header fields
 * over as latin1 strings, one character per octet received (a UTF-8 "€" arrives as three characters),
 * which it does not document: so a field's latin1 byte length is its size in octets, as the header
 * limits count it (RFC 9113 §6.5.2). Should Node ever decode them as UTF-8, a character would no longer
 * be an octet, and this count (not the string's length) is the one place to change.
 */
export function headerOctets(field: string): number {
  return Buffer.byteLength(field, "latin1");
}
