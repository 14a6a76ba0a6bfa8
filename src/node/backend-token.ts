// Node-only helpers shared by the gateway and the mock backend (neither imports the other): the
// backend token, a shared secret the gateway sends on every call to the backend (REST, session
// lookups, the push stream, the control plane's relays) and the mock backend requires. Without it
// the mock would be a second, unguarded listener on loopback: any local process or web page could
// read login codes, reset, inject pushes or act as any user (docs/SECURITY.md, "Mock backend").
import { randomBytes } from "node:crypto";
import { readSecretFile, secretProblem, type SecretRule } from "./secret-token.js";

/** The request header that carries the token (the gateway → backend hop only; never a client's). */
export const BACKEND_TOKEN_HEADER = "x-galaxy-backend-token";
/** Where the CLIs read a token from when no token file is given. */
export const BACKEND_TOKEN_ENV = "GALAXY_BACKEND_TOKEN";
/**
 * At least 16 characters: 16 characters of a random token are ≥ 96 bits, far beyond guessing over
 * HTTP; shorter ones are refused so a typo cannot leave the backend guarded by "x".
 */
export const BACKEND_TOKEN_RULE: SecretRule = { min: 16, max: 256 };

/** 32 random bytes (256 bits), base64url: 43 characters, safe in a header and a file. */
export function generateBackendToken(): string {
  return randomBytes(32).toString("base64url");
}

/** Why `token` cannot be a backend token (length, characters), or undefined when it can. */
export function backendTokenProblem(token: string): string | undefined {
  const problem = secretProblem(token, BACKEND_TOKEN_RULE);
  return problem && `the backend token ${problem}`;
}

/** Reads a token file: its content with the surrounding whitespace (a trailing newline) trimmed. */
export function readBackendTokenFile(file: string): string {
  const token = readSecretFile(file);
  const problem = backendTokenProblem(token);
  if (problem) throw new Error(`${file}: ${problem}`);
  return token;
}
