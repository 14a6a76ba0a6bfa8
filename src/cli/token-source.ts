// Where the CLIs take a secret from (the control-plane token, the backend token): a file, else an
// environment variable, and for the control-plane token also a plain flag, which warns. A secret on
// the command line is readable by every local user (`ps`, /proc/PID/cmdline); a file or the
// environment is readable only by the same user.
import { readSecretFile, secretProblem, type SecretRule } from "../node/secret-token.js";

export interface TokenSources {
  /** What the secret is, for messages: "the token", "the backend token". */
  what: string;
  rule: SecretRule;
  /** The file flag's name and value (`--token-file`, path). */
  file: { flag: string; path: string | undefined };
  /** The environment variable read when no flag gives the secret. */
  env: string;
  /** A plain flag, where one exists (`--token`): accepted with a warning. */
  plain?: { flag: string; value: string | undefined };
}

export interface ResolvedToken {
  token?: string;
  /** Said on stderr at start; never contains the token. */
  warnings: string[];
}

/** Thrown for a secret that cannot be used; the CLI prints the message with its usage (exit 2). */
export class TokenError extends Error {}

export function tokenFromSources(sources: TokenSources): ResolvedToken {
  const { file, plain, env } = sources;
  if (plain?.value !== undefined && file.path !== undefined) {
    throw new TokenError(`give ${sources.what} one way: ${plain.flag} or ${file.flag}, not both`);
  }
  const warnings: string[] = [];
  let token: string;
  let from: string;
  if (file.path !== undefined) {
    from = `${file.flag} ${file.path}`;
    try {
      token = readSecretFile(file.path);
    } catch (err) {
      throw new TokenError(`${from} cannot be read: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
  } else if (plain?.value !== undefined) {
    from = plain.flag;
    token = plain.value;
    warnings.push(`${plain.flag} is visible to every local user (ps, /proc); prefer ${file.flag} or ${env}`);
  } else if (process.env[env]) {
    from = env;
    token = process.env[env]!;
  } else {
    return { warnings };
  }
  const problem = secretProblem(token, sources.rule);
  if (problem) throw new TokenError(`${from}: ${sources.what} ${problem}`);
  return { token, warnings };
}
