// Node-only helpers shared by the gateway and the mock backend (neither imports the other): is an
// address, or a Host header, this machine's loopback interface? The gateway's control plane and the
// mock backend both refuse a non-loopback Host, which is what a DNS-rebinding page sends.
import { BlockList, isIP } from "node:net";

/** `::ffff:a.b.c.d` folded to `a.b.c.d`, lower-cased; "unknown" when there is no address. */
export function normalizeAddress(address: string | undefined): string {
  if (!address) return "unknown";
  const lower = address.toLowerCase();
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/.exec(lower);
  if (mapped) return mapped[1]!;
  return lower;
}

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet("127.0.0.0", 8, "ipv4");
LOOPBACK.addAddress("::1", "ipv6");
LOOPBACK.addSubnet("::ffff:127.0.0.0", 104, "ipv6");

/** 127.0.0.0/8, ::1 and the IPv4-mapped forms of 127/8. Anything unparsable is not loopback. */
export function isLoopbackAddress(address: string | undefined): boolean {
  const a = normalizeAddress(address);
  const family = isIP(a);
  if (family === 4) return LOOPBACK.check(a, "ipv4");
  if (family === 6) return LOOPBACK.check(a, "ipv6");
  return false;
}

/**
 * A Host header naming this machine's loopback interface: `localhost` (and `*.localhost`, RFC 6761),
 * 127.0.0.0/8 or [::1], with an optional port. Used against DNS rebinding.
 */
export function isLoopbackHost(host: string | undefined): boolean {
  if (!host) return false;
  const h = host.trim().toLowerCase();
  const bracketed = /^\[([0-9a-f:.]+)\](?::\d{1,5})?$/.exec(h);
  if (bracketed) return isLoopbackAddress(bracketed[1]);
  const m = /^([a-z0-9.-]+)(?::\d{1,5})?$/.exec(h);
  if (!m) return false;
  const name = m[1]!.replace(/\.$/, "");
  if (name === "localhost" || name.endsWith(".localhost")) return true;
  return isIP(name) === 4 && name.startsWith("127.");
}
