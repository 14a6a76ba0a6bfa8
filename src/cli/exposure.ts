// The control-plane token's rule, and whether the listen address may be used with the token given.
// A listener off loopback serves the signed surface and the sign-in REST to other machines; without a
// token its control plane stays loopback-only, which is rarely what someone binding 0.0.0.0 means,
// and an unguarded emulator on a shared network is an easy mistake — so it refuses to start unless
// the user says so in so many words. With a token but without TLS the bearer token crosses the
// network in cleartext, so it warns.
import { isLoopbackAddress, isLoopbackHost } from "../node/loopback.js";
import type { SecretRule } from "../node/secret-token.js";

/** The control-plane token: at least 8 characters, since a guessable token is no guard. */
export const CONTROL_TOKEN_RULE: SecretRule = { min: 8, max: 256 };

/** The environment variable read when neither `--token` nor `--token-file` is given. */
export const TOKEN_ENV = "GALAXY_EMULATOR_TOKEN";

/** True for a listen address only this machine can reach (`--host` is an address or a name, bare). */
function isLoopbackListenAddress(host: string): boolean {
  return isLoopbackAddress(host) || isLoopbackHost(host);
}

export interface ExposureCheck {
  host: string;
  token?: string;
  tls: boolean;
  insecureNoToken: boolean;
}

/**
 * The refusal (a message) or the warnings for a listen address. Off loopback: a token is required
 * unless `--insecure-no-token`; with a token, a warning unless TLS is on.
 */
export function checkExposure(check: ExposureCheck): { refusal?: string; warnings: string[] } {
  if (isLoopbackListenAddress(check.host)) return { warnings: [] };
  if (check.token === undefined) {
    if (!check.insecureNoToken) {
      return {
        refusal:
          `--host ${check.host} is reachable from other machines: give a token (--token-file or ${TOKEN_ENV}), ` +
          "or --insecure-no-token to serve without one (the control plane then stays loopback-only)",
        warnings: [],
      };
    }
    return { warnings: [`--insecure-no-token: serving on ${check.host} without a token; the control plane stays loopback-only`] };
  }
  if (!check.tls) {
    return { warnings: [`--host ${check.host} without TLS: the bearer token crosses the network in cleartext`] };
  }
  return { warnings: [] };
}
