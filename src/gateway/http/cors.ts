// CORS for the public surface: a web client served from another origin (a game on its own dev server)
// may call the EdgeGateway RPCs (Connect, gRPC-Web), the public auth REST, gateway info and /healthz
// when its origin is in the live `cors_origins` setting (cors-origins.ts). It runs in front of both the
// REST surface and the Connect handler: it answers preflights itself and adds the grant to the answer
// the others write. Everything else — the control plane above all — never gets a grant: this layer
// does not touch those paths, and the control plane keeps refusing foreign origins with 403.
//
// Choices:
// - No credentials: the public surface uses no cookies or HTTP auth (requests are signed in the body),
//   so Access-Control-Allow-Credentials is never sent and the granted origin is echoed, never "*".
// - A preflight from an origin outside the list answers 403 `forbidden` naming the origin and the
//   setting, so the developer sees why in the network panel; actual requests from it are served as
//   before (the surface is public: curl can call it too) but without a grant, so the browser keeps the
//   answer from the page. `Vary: Origin` on every public answer keeps caches from mixing the two.
// - A preflight that asks for private-network access (Chromium, a public page calling a local gateway)
//   is granted it for a listed origin: listing it is the operator's consent.
import { cors as connectCors } from "@connectrpc/connect";
import { originMatcher, type OriginMatcher } from "./cors-origins.js";
import { sendError, sendNoContent, setHeaders, type AnyRequest, type AnyResponse, type Headers } from "./http-json.js";
import { isPublicPath, pathOf } from "./rest-surface.js";

/** connect-es's lists cover Connect and gRPC-Web; the REST needs only content-type, already in them. */
const CORS_ALLOWED_METHODS: readonly string[] = connectCors.allowedMethods;
const CORS_ALLOWED_HEADERS: readonly string[] = connectCors.allowedHeaders;
/**
 * What a client must read: gRPC-Web status and error details (headers of a trailers-only answer) and
 * the Retry-After of a public-auth 429 — the only headers of its own the gateway sends to clients
 * (RPC rate limits travel in the GatewayError detail; X-Galaxy-* go to the backend only).
 */
const CORS_EXPOSED_HEADERS: readonly string[] = [...connectCors.exposedHeaders, "Retry-After"];
/**
 * How long a browser may reuse a preflight: Chromium caps it at 2 h, so more buys nothing. Removing
 * an origin still takes effect at once: a cached preflight only lets the request out, its answer
 * then lacks the grant.
 */
const CORS_MAX_AGE_S = 7200;
/** Echoed in the 403 message; a real origin is far shorter. */
const MAX_ECHOED_ORIGIN = 200;

/** Handles CORS for one request: true when it answered it (a preflight), false to let it go on. */
export type CorsLayer = (req: AnyRequest, res: AnyResponse) => boolean;

/** `origins` is read on every request (live config); the matcher is rebuilt when the list changes. */
export function createCors(origins: () => readonly string[]): CorsLayer {
  let compiled: { list: readonly string[]; allows: OriginMatcher } | undefined;
  const allows = (origin: string | undefined) => {
    const list = origins();
    if (compiled?.list !== list) compiled = { list, allows: originMatcher(list) };
    return compiled.allows(origin);
  };

  return (req, res) => {
    if (!isPublicPath(pathOf(req.url))) return false;
    const origin = typeof req.headers.origin === "string" ? req.headers.origin : undefined;
    const granted = allows(origin);
    setHeaders(res, { vary: "Origin" });
    if (req.method === "OPTIONS" && origin !== undefined && req.headers["access-control-request-method"] !== undefined) {
      if (!granted) {
        const shown = JSON.stringify(origin.slice(0, MAX_ECHOED_ORIGIN));
        sendError(req, res, 403, "forbidden", `origin ${shown} is not in cors_origins (PATCH /emulator/v1/config or --cors-origin)`);
        return true;
      }
      const headers: Headers = {
        "access-control-allow-origin": origin,
        "access-control-allow-methods": CORS_ALLOWED_METHODS.join(", "),
        "access-control-allow-headers": CORS_ALLOWED_HEADERS.join(", "),
        "access-control-max-age": String(CORS_MAX_AGE_S),
      };
      if (req.headers["access-control-request-private-network"] === "true") headers["access-control-allow-private-network"] = "true";
      sendNoContent(res, headers);
      return true;
    }
    if (granted && origin !== undefined) {
      setHeaders(res, {
        "access-control-allow-origin": origin,
        "access-control-expose-headers": CORS_EXPOSED_HEADERS.join(", "),
      });
    }
    return false;
  };
}
