// Node-only helpers shared by the gateway and the mock backend (neither imports the other): the
// backend token, a shared secret the gateway sends on every call to the backend (REST, session
// lookups, the push stream, the control plane's relays) and the mock backend requires. Without it
// the mock would be a second, unguarded listener on loopback: any local process or web page could
// read login codes, reset, inject pushes or act as any user (docs/SECURITY.md, "Mock backend").
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { readFile } from "node:fs/promises";

/** The request header that carries the token (the gateway → backend hop only; never a client's). */
export const BACKEND_TOKEN_HEADER = "x-galaxy-backend-token";
/** Where the CLIs read a token from when no token file is given. */
export const BACKEND_TOKEN_ENV = "GALAXY_BACKEND_TOKEN";
/**
 * Shortest token accepted: 16 characters of a random token are ≥ 96 bits, far beyond guessing over
 * HTTP; shorter ones are refused so a typo cannot leave the backend guarded by "x".
 */
export const MIN_BACKEND_TOKEN_LENGTH = 16;
/** Longest accepted: it travels in a header on every call. */
export const MAX_BACKEND_TOKEN_LENGTH = 256;

/** 32 random bytes (256 bits), base64url: 43 characters, safe in a header and a file. */
export function generateBackendToken(): string {
  return randomBytes(32).toString("base64url");
}

/** Why `token` cannot be a backend token (length, characters), or undefined when it can. */
export function backendTokenProblem(token: string): string | undefined {
  if (token.length < MIN_BACKEND_TOKEN_LENGTH || token.length > MAX_BACKEND_TOKEN_LENGTH) {
    return `the backend token must be ${MIN_BACKEND_TOKEN_LENGTH}..${MAX_BACKEND_TOKEN_LENGTH} characters, got ${token.length}`;
  }
  // Visible ASCII only: anything else cannot travel unchanged in an HTTP header.
  if (!/^[\x21-\x7e]+$/.test(token)) return "the backend token must be visible ASCII characters (no spaces)";
  return undefined;
}

const digest = (text: string): Buffer => createHash("sha256").update(text, "utf8").digest();

/**
 * Constant-time comparison. Both sides are hashed first so that timingSafeEqual sees equal lengths
 * and the time taken says nothing about the token's length either.
 */
export function backendTokenMatches(given: string | string[] | undefined, expected: string): boolean {
  if (typeof given !== "string") return false;
  return timingSafeEqual(digest(given), digest(expected));
}

/** Reads a token file: its content with the surrounding whitespace (a trailing newline) trimmed. */
export async function readBackendTokenFile(file: string): Promise<string> {
  const token = (await readFile(file, "utf8")).trim();
  const problem = backendTokenProblem(token);
  if (problem) throw new Error(`${file}: ${problem}`);
  return token;
}
