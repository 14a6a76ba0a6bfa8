// Where the CLIs take cluster mode's Redis URL from: `--redis URL`, else $GALAXY_REDIS_URL. A URL may
// carry a password (redis://:password@host:port), and a flag is readable by every local user (`ps`,
// /proc/PID/cmdline), so a password given by flag is accepted with a warning, as `--token` is
// (token-source.ts); the environment is readable only by the same user.
import { checkRedisUrl } from "../gateway/stores.js";

/** The environment variable read when no --redis flag is given. */
export const REDIS_URL_ENV = "GALAXY_REDIS_URL";

export interface ResolvedRedisUrl {
  url?: string;
  /** Said on stderr at start; never contains the password. */
  warnings: string[];
}

/** The Redis URL from `--redis` or the environment; throws with a message naming its source when it is not a redis:// URL. */
export function redisUrlFromSources(flag: string | undefined): ResolvedRedisUrl {
  const from = flag !== undefined ? "--redis" : REDIS_URL_ENV;
  const url = flag ?? (process.env[REDIS_URL_ENV] || undefined);
  if (url === undefined) return { warnings: [] };
  try {
    checkRedisUrl(url);
  } catch (err) {
    throw new Error(`${from}: ${(err as Error).message}`);
  }
  const warnings = flag !== undefined && new URL(url).password !== "" ? [`--redis carries a password, visible to every local user (ps, /proc); prefer ${REDIS_URL_ENV}`] : [];
  return { url, warnings };
}
