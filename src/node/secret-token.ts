// What every shared secret of the emulator has in common (the control-plane token, the backend
// token): its shape, how a file holds it, and a comparison whose time says nothing about it.
import { timingSafeEqual } from "node:crypto";
import { readFileSync } from "node:fs";
import { sha256Node } from "./sha256.js";

export interface SecretRule {
  /** Shortest accepted: a guessable secret is no guard. */
  min: number;
  /** Longest accepted: it travels in a header on every call. */
  max: number;
}

/** Why `secret` cannot be used under `rule`, or undefined when it can. */
export function secretProblem(secret: string, rule: SecretRule): string | undefined {
  if (secret.length < rule.min || secret.length > rule.max) {
    return `must be ${rule.min}..${rule.max} characters, got ${secret.length}`;
  }
  // Visible ASCII only: anything else cannot travel unchanged in an HTTP header.
  if (!/^[\x21-\x7e]+$/.test(secret)) return "must be visible ASCII characters (no spaces)";
  return undefined;
}

/** A secret file's content, surrounding white space (the newline `echo s > f` leaves) trimmed. */
export function readSecretFile(file: string): string {
  return readFileSync(file, "utf8").trim();
}

/**
 * Constant-time comparison. Both sides are hashed first so that timingSafeEqual sees equal lengths
 * and the time taken says nothing about the secret's length either.
 */
export function secretsMatch(given: string | string[] | undefined, expected: string): boolean {
  return secretMatcher(expected)(given);
}

/**
 * secretsMatch against a secret fixed for the checker's lifetime: its digest is taken once, so a check
 * hashes only the given side (the mock backend checks its token on every request).
 */
export function secretMatcher(expected: string): (given: string | string[] | undefined) => boolean {
  const expectedDigest = sha256Node(expected);
  return (given) => typeof given === "string" && timingSafeEqual(sha256Node(given), expectedDigest);
}
