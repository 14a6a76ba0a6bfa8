// Who is calling: the socket's peer address (X-Forwarded-For is never trusted: the gateway is the edge),
// normalised so IPv4-mapped IPv6 and plain IPv4 share one rate-limit key, and the loopback test of the
// control plane's access rule.
import { normalizeAddress } from "../../node/loopback.js";
import type { AnyRequest } from "./http-json.js";

/** The peer address, `::ffff:a.b.c.d` folded to `a.b.c.d`; "unknown" if the socket is already gone. */
export function clientAddress(req: AnyRequest): string {
  return normalizeAddress(req.socket?.remoteAddress);
}

// The address tests live in src/node (the mock backend applies the same Host rule).
export { isLoopbackAddress, isLoopbackHost, normalizeAddress } from "../../node/loopback.js";
