// Where the control-plane token comes from, and whether the listen address may be used with it.
//
// A token on the command line is readable by every local user (`ps`, /proc/PID/cmdline), so the
// CLI also takes it from a file or from the environment (readable only by the same user). A
// listener off loopback serves the signed surface and the sign-in REST to other machines; without a
// token its control plane stays loopback-only, which is rarely what someone binding 0.0.0.0 means,
// and an unguarded emulator on a shared network is an easy mistake — so it refuses to start unless
// the user says so in so many words. With a token but without TLS the bearer token crosses the
// network in cleartext, so it warns.
import { readFileSync } from "node:fs";
import net from "node:net";

/** Shortest token accepted: a guessable token is no guard. */
export const MIN_TOKEN_LENGTH = 8;

/** The environment variable read when neither `--token` nor `--token-file` is given. */
export const TOKEN_ENV = "GALAXY_EMULATOR_TOKEN";

export interface TokenSources {
  flag?: string;
  file?: string;
  env?: string;
}

export interface ResolvedToken {
  token?: string;
  /** Said on stderr at start; never contains the token. */
  warnings: string[];
}

/** Thrown for a token that cannot be used; the CLI prints the message with its usage (exit 2). */
export class TokenError extends Error {}

export function resolveToken(sources: TokenSources): ResolvedToken {
  if (sources.flag !== undefined && sources.file !== undefined) {
    throw new TokenError("give the token one way: --token or --token-file, not both");
  }
  const warnings: string[] = [];
  let token: string | undefined;
  let from: string;
  if (sources.file !== undefined) {
    from = `--token-file ${sources.file}`;
    try {
      // One trailing newline is what `echo secret > file` leaves; it is not part of the token.
      token = readFileSync(sources.file, "utf8").replace(/\r?\n$/, "");
    } catch (err) {
      throw new TokenError(`--token-file ${sources.file} cannot be read: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
  } else if (sources.flag !== undefined) {
    from = "--token";
    token = sources.flag;
    warnings.push(`--token is visible to every local user (ps, /proc); prefer --token-file or ${TOKEN_ENV}`);
  } else if (sources.env !== undefined && sources.env !== "") {
    from = TOKEN_ENV;
    token = sources.env;
  } else {
    return { warnings };
  }
  if (token.length < MIN_TOKEN_LENGTH) throw new TokenError(`${from}: the token must be at least ${MIN_TOKEN_LENGTH} characters`);
  if (/[\s\x00-\x1f\x7f]/.test(token)) throw new TokenError(`${from}: the token must not contain white space or control characters`);
  return { token, warnings };
}

/** True for the names and addresses that only this machine can reach. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[(.*)\]$/, "$1").toLowerCase();
  if (bare === "localhost") return true;
  if (net.isIPv4(bare)) return bare.startsWith("127.");
  if (net.isIPv6(bare)) return bare === "::1" || /^::ffff:127\./.test(bare);
  return false;
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
  if (isLoopbackHost(check.host)) return { warnings: [] };
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
