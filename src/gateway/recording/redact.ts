// Secrets kept out of a recording (README "Record and play back", docs/SECURITY.md): every JSON field
// whose name matches one of the patterns, at any depth, has its value replaced by "[redacted]" before
// the line is written. Patterns are field names, case-insensitive, with `*` for any run of characters.
// Headers never need this: the recorder keeps only the galaxy routing headers (user, session, message
// type), never Authorization or the backend token.
import { fieldNameTest, REDACTED } from "../../node/recording-format.js";

/**
 * The default patterns: a login code is `code`, the rest are the names credentials go by. `*_id` is
 * deliberately absent: ids are what a game's commands are about, not secrets.
 */
export const DEFAULT_REDACT_FIELDS: readonly string[] = ["code", "token", "password", "secret", "*_token", "*_secret", "*_password"];
/** A pattern: a field name with `*` wildcards; long enough for any real field name. */
export const REDACT_PATTERN_RULE = /^[^\u0000-\u001f\u007f]{1,128}$/;
/** Patterns at most: each field name of every recorded body is tested against all of them. */
export const MAX_REDACT_PATTERNS = 64;

export class RedactPatternError extends Error {}

export type FieldTest = (name: string) => boolean;

/** One test for all the patterns; throws RedactPatternError naming a bad one. */
export function compileRedactPatterns(patterns: readonly string[]): FieldTest {
  if (patterns.length > MAX_REDACT_PATTERNS) throw new RedactPatternError(`at most ${MAX_REDACT_PATTERNS} redaction patterns`);
  for (const p of patterns) {
    if (!REDACT_PATTERN_RULE.test(p)) throw new RedactPatternError(`redaction pattern ${JSON.stringify(p)}: must be 1..128 printable characters`);
  }
  return fieldNameTest(patterns);
}

/**
 * A copy of `value` with the matching fields' values redacted. `answer`: the top-level `error.code` of a
 * business error is the protocol's result code, not a secret, and stays (playback needs it).
 */
export function redactJson(value: unknown, secret: FieldTest, answer = false): unknown {
  if (Array.isArray(value)) return value.map((v) => redactJson(v, secret));
  if (typeof value !== "object" || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    if (answer && key === "error" && typeof v === "object" && v !== null && !Array.isArray(v)) {
      const { code, ...rest } = v as Record<string, unknown>;
      out[key] = { ...(code !== undefined ? { code } : {}), ...(redactJson(rest, secret) as object) };
    } else {
      out[key] = secret(key) ? REDACTED : redactJson(v, secret);
    }
  }
  return out;
}

/** A query string with the matching parameters' values redacted. */
export function redactQuery(query: string, secret: FieldTest): string {
  const params = new URLSearchParams(query);
  for (const key of new Set(params.keys())) if (secret(key)) params.set(key, REDACTED);
  return params.toString();
}
