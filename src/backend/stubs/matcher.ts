// Matching a call against a mapping's `match`: a partial deep match on the JSON payload (objects by
// subset, arrays element by element and of the same length, `{"regex": …}`, `{"absent": true}`,
// anything else by equality), plus the caller's user_id / email / device_session_id. A comparison
// counts every difference and remembers the first, so a call nothing matched can name the nearest
// mapping and the field where it differed.
import { childPath, fail } from "./validation-error.js";

/**
 * Longest regex source. The control plane is loopback- or token-guarded, so whoever adds a regex
 * already controls the emulator; the bound keeps accidental monsters (and their compile time) out.
 * Matching runs on V8's backtracking engine: a catastrophic pattern is its author's to avoid.
 */
export const MAX_REGEX_LENGTH = 256;

export type MatchNode =
  | { kind: "regex"; re: RegExp }
  | { kind: "absent" }
  | { kind: "object"; entries: [string, MatchNode][] }
  | { kind: "array"; items: MatchNode[] }
  | { kind: "equal"; value: unknown };

/** A string field: equal (emails compared lower-cased, as the backend stores them), or a regex. */
export type StringMatch = { kind: "equal"; value: string } | { kind: "regex"; re: RegExp };

/** Where a matcher sits: `absent` only makes sense as an object member. */
type Place = "root" | "member" | "item";

function singleKey(value: object, key: string): boolean {
  const keys = Object.keys(value);
  return keys.length === 1 && keys[0] === key;
}

function compileRegex(source: unknown, path: string): RegExp {
  if (typeof source !== "string") fail(path, "must be a string (a regular expression)");
  if (source.length > MAX_REGEX_LENGTH) fail(path, `must be at most ${MAX_REGEX_LENGTH} characters`);
  try {
    return new RegExp(source, "u");
  } catch (err) {
    fail(path, `is not a valid regular expression (${(err as Error).message})`);
  }
}

export function compileMatcher(value: unknown, path: string, place: Place): MatchNode {
  if (Array.isArray(value) && place === "root") fail(path, "must be a JSON object (a payload is one)");
  if (Array.isArray(value)) return { kind: "array", items: value.map((v, i) => compileMatcher(v, childPath(path, i), "item")) };
  if (typeof value !== "object" || value === null) {
    if (place === "root") fail(path, "must be a JSON object (a payload is one)");
    return { kind: "equal", value };
  }
  // A matcher's keyword next to other keys is a typo far more often than a payload that has a field
  // named "regex": refused, so it does not silently become an equality match that never matches.
  for (const keyword of ["regex", "absent"]) {
    if (Object.hasOwn(value, keyword) && !singleKey(value, keyword)) fail(path, `{"${keyword}": …} takes no other key`);
  }
  if (singleKey(value, "regex")) return { kind: "regex", re: compileRegex((value as { regex: unknown }).regex, childPath(path, "regex")) };
  if (singleKey(value, "absent")) {
    if ((value as { absent: unknown }).absent !== true) fail(childPath(path, "absent"), "must be true");
    if (place !== "member") fail(path, `{"absent": true} only matches an object member`);
    return { kind: "absent" };
  }
  return { kind: "object", entries: Object.entries(value).map(([k, v]) => [k, compileMatcher(v, childPath(path, k), "member")]) };
}

export function compileStringMatcher(value: unknown, path: string, lowerCase: boolean): StringMatch {
  if (typeof value === "string") return { kind: "equal", value: lowerCase ? value.trim().toLowerCase() : value };
  if (typeof value === "object" && value !== null && !Array.isArray(value) && singleKey(value, "regex")) {
    return { kind: "regex", re: compileRegex((value as { regex: unknown }).regex, childPath(path, "regex")) };
  }
  fail(path, `must be a string or {"regex": "…"}`);
}

/**
 * A comparison so far: how many checks agreed, how many differed, and where the first difference is
 * (`payload.item`, `email`). The nearest mapping to a call is the one that agreed most, then differed least.
 */
export interface Differences {
  same: number;
  count: number;
  first?: string;
}

function differ(diff: Differences, at: string): void {
  diff.count++;
  diff.first ??= at;
}

function check(diff: Differences, ok: boolean, at: string): void {
  if (ok) diff.same++;
  else differ(diff, at);
}

/** Strings, numbers and booleans are tested by their text; anything else does not match a regex. */
function regexMatches(re: RegExp, actual: unknown): boolean {
  if (typeof actual === "string") return re.test(actual);
  if (typeof actual === "number" || typeof actual === "boolean") return re.test(String(actual));
  return false;
}

export function compareString(match: StringMatch, actual: string, at: string, diff: Differences): void {
  check(diff, match.kind === "regex" ? match.re.test(actual) : match.value === actual, at);
}

/** Adds the differences between `actual` and `node` to `diff`. */
export function compareValue(node: MatchNode, actual: unknown, at: string, diff: Differences): void {
  switch (node.kind) {
    case "equal":
      return check(diff, jsonEqual(node.value, actual), at);
    case "regex":
      return check(diff, regexMatches(node.re, actual), at);
    case "absent": // handled by the parent object, which knows whether the key exists
      return;
    case "array":
      if (!Array.isArray(actual) || actual.length !== node.items.length) return differ(diff, at);
      node.items.forEach((item, i) => compareValue(item, actual[i], childPath(at, i), diff));
      return;
    case "object": {
      if (typeof actual !== "object" || actual === null || Array.isArray(actual)) return differ(diff, at);
      const obj = actual as Record<string, unknown>;
      for (const [key, child] of node.entries) {
        const present = Object.hasOwn(obj, key);
        const where = childPath(at, key);
        if (child.kind === "absent") {
          check(diff, !present, where);
        } else if (!present) {
          differ(diff, where);
        } else {
          diff.same++; // the key is there: closer than a mapping whose key is missing
          compareValue(child, obj[key], where, diff);
        }
      }
      return;
    }
  }
}

/** Deep JSON equality (object key order ignored). */
function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((v, i) => jsonEqual(v, bb[i]));
  }
  const ak = Object.keys(a);
  const bo = b as Record<string, unknown>;
  return ak.length === Object.keys(bo).length && ak.every((k) => Object.hasOwn(bo, k) && jsonEqual((a as Record<string, unknown>)[k], bo[k]));
}
