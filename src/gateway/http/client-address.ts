// Who is calling: the socket's peer address (X-Forwarded-For is never trusted: the gateway is the edge),
// normalised so IPv4-mapped IPv6 and plain IPv4 share one rate-limit key. The loopback tests live in
// src/node/loopback.ts (the control plane and the mock backend apply the same Host rule).
import { normalizeAddress } from "../../node/loopback.js";
import type { AnyRequest } from "./http-json.js";

/** The peer address, `::ffff:a.b.c.d` folded to `a.b.c.d`; "unknown" if the socket is already gone. */
export function clientAddress(req: AnyRequest): string {
  return normalizeAddress(req.socket?.remoteAddress);
}
