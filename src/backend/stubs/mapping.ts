// A stub mapping (README "Your own game"): its shape, its limits, and the one validation every way in
// goes through (POST /emulator/v1/stubs, `--stubs DIR`, the persisted state). Hand-written rather
// than a schema library (the mock backend's room has none): the first problem is reported with its
// JSON path (`$.push[0].to`), unknown keys are refused, and matchers and templates are compiled here,
// once, so a call only runs them.
import { compileMatcher, compileStringMatcher, type MatchNode, type StringMatch } from "./matcher.js";
import { checkTemplates } from "./template.js";
import { childPath, fail } from "./validation-error.js";

/** Ids and message types: what a URL path segment and the gateway's routing table accept verbatim. */
export const STUB_ID_PATTERN = /^[A-Za-z0-9._-]{1,128}$/;
export const MESSAGE_TYPE_PATTERN = /^[A-Za-z0-9._-]{1,128}$/;
/** A business error code the gateway relays as result_code (stages/backend.ts accepts 1..128 characters). */
const RESULT_CODE_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;
/** Scenario names and states, and push event types: short printable labels. */
const LABEL_PATTERN = /^[^\u0000-\u001f\u007f]{1,128}$/;
export const DEFAULT_PRIORITY = 5;
/** Priorities are sorted as numbers; a million levels is more than any set of mappings uses. */
export const MAX_PRIORITY = 1_000_000;
/**
 * Longest answer delay. The gateway gives a backend call 5 s by default (and the client's deadline
 * when shorter), so a longer delay only models a backend that never answers; 30 s bounds how long a
 * delayed answer holds its connection and handler.
 */
export const MAX_RESPONSE_DELAY_MS = 30_000;
/** Longest push delay: ten minutes models "later in the game"; pending pushes are bounded anyway. */
export const MAX_PUSH_DELAY_MS = 10 * 60_000;
/** Pushes one match may send: a handful models a game event; more is a loop someone forgot to stop. */
export const MAX_PUSHES_PER_MAPPING = 16;
/**
 * Deepest nesting of a matcher or a templated payload: matching and rendering recurse, and a 64 KiB
 * JSON body could otherwise nest thousands of levels deep. 32 is deeper than any game payload.
 */
export const MAX_NESTING_DEPTH = 32;
/** Every scenario starts in this state (WireMock's name for it). */
export const STARTED = "Started";

export type PushTarget = "caller" | "user" | "all" | { user_id: string };

export interface PushSpec {
  event_type: string;
  payload: unknown;
  delay_ms: number;
  to: PushTarget;
}

/** A mapping as stored, listed and persisted: the input with its defaults filled in. */
export interface StubMapping {
  id: string;
  message_type: string;
  priority: number;
  match: { payload?: unknown; user_id?: unknown; email?: unknown; device_session_id?: unknown };
  respond: { payload?: unknown; result_code: string; delay_ms: number };
  push: PushSpec[];
  scenario?: { name: string; required_state?: string; new_state?: string };
}

/** A mapping with its matchers compiled (regexes built once). */
export interface CompiledMapping {
  mapping: StubMapping;
  payload?: MatchNode;
  user_id?: StringMatch;
  email?: StringMatch;
  device_session_id?: StringMatch;
}

type JsonObject = Record<string, unknown>;

function objectAt(value: unknown, path: string, allowed: readonly string[]): JsonObject {
  if (typeof value !== "object" || value === null || Array.isArray(value)) fail(path, "must be a JSON object");
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) fail(childPath(path, key), `unknown key (allowed: ${allowed.join(", ")})`);
  }
  return value as JsonObject;
}

function stringAt(value: unknown, path: string, pattern: RegExp, rule: string): string {
  if (typeof value !== "string" || !pattern.test(value)) fail(path, `must be ${rule}`);
  return value;
}

function integerAt(value: unknown, path: string, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < min || value > max) fail(path, `must be an integer ${min}..${max}`);
  return value;
}

/** Refuses nesting deeper than MAX_NESTING_DEPTH (before anything recurses over it). */
export function checkDepth(value: unknown, path: string, depth = 0): void {
  if (typeof value !== "object" || value === null) return;
  if (depth >= MAX_NESTING_DEPTH) fail(path, `nests deeper than ${MAX_NESTING_DEPTH} levels`);
  if (Array.isArray(value)) value.forEach((v, i) => checkDepth(v, childPath(path, i), depth + 1));
  else for (const [k, v] of Object.entries(value)) checkDepth(v, childPath(path, k), depth + 1);
}

/**
 * Validates one mapping and compiles its matchers; throws StubValidationError at the first problem.
 * `path` names the mapping in the request (`$`, or `$[2]` inside an array); `defaultId` is used when
 * the mapping has none.
 */
export function compileMapping(value: unknown, path: string, defaultId: () => string): CompiledMapping {
  const top = objectAt(value, path, ["id", "message_type", "priority", "match", "respond", "push", "scenario"]);
  checkDepth(top, path);
  const id = top["id"] === undefined ? defaultId() : stringAt(top["id"], childPath(path, "id"), STUB_ID_PATTERN, "1..128 characters of [A-Za-z0-9._-]");
  const messageType = stringAt(top["message_type"], childPath(path, "message_type"), MESSAGE_TYPE_PATTERN, "1..128 characters of [A-Za-z0-9._-]");
  const priority = integerAt(top["priority"], childPath(path, "priority"), 0, MAX_PRIORITY, DEFAULT_PRIORITY);

  const matchPath = childPath(path, "match");
  const match = top["match"] === undefined ? {} : objectAt(top["match"], matchPath, ["payload", "user_id", "email", "device_session_id"]);
  const compiled: Omit<CompiledMapping, "mapping"> = {};
  if (match["payload"] !== undefined) compiled.payload = compileMatcher(match["payload"], childPath(matchPath, "payload"), "root");
  for (const field of ["user_id", "email", "device_session_id"] as const) {
    if (match[field] !== undefined) compiled[field] = compileStringMatcher(match[field], childPath(matchPath, field), field === "email");
  }

  const respondPath = childPath(path, "respond");
  const respond = top["respond"] === undefined ? {} : objectAt(top["respond"], respondPath, ["payload", "result_code", "delay_ms"]);
  const resultCode =
    respond["result_code"] === undefined
      ? "ok"
      : stringAt(respond["result_code"], childPath(respondPath, "result_code"), RESULT_CODE_PATTERN, "1..128 characters of [A-Za-z0-9._:-]");
  const payload = respond["payload"];
  if (payload !== undefined) checkTemplates(payload, childPath(respondPath, "payload"), { response: false });
  if (resultCode !== "ok" && payload !== undefined && (typeof payload !== "object" || payload === null || Array.isArray(payload))) {
    fail(childPath(respondPath, "payload"), "must be a JSON object when result_code is not \"ok\" (the error is added to it)");
  }
  const delayMs = integerAt(respond["delay_ms"], childPath(respondPath, "delay_ms"), 0, MAX_RESPONSE_DELAY_MS, 0);

  const push = compilePushes(top["push"], childPath(path, "push"));
  const scenario = top["scenario"] === undefined ? undefined : compileScenario(top["scenario"], childPath(path, "scenario"));

  const mapping: StubMapping = {
    id,
    message_type: messageType,
    priority,
    match: match as StubMapping["match"],
    respond: { ...(payload !== undefined ? { payload } : {}), result_code: resultCode, delay_ms: delayMs },
    push,
    ...(scenario ? { scenario } : {}),
  };
  return { mapping, ...compiled };
}

function compilePushes(value: unknown, path: string): PushSpec[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) fail(path, "must be an array");
  if (value.length > MAX_PUSHES_PER_MAPPING) fail(path, `at most ${MAX_PUSHES_PER_MAPPING} pushes`);
  return value.map((item, i) => {
    const at = childPath(path, i);
    const spec = objectAt(item, at, ["event_type", "payload", "delay_ms", "to"]);
    const eventType = stringAt(spec["event_type"], childPath(at, "event_type"), LABEL_PATTERN, "1..128 printable characters");
    // Templates fill payloads only; an event type is fixed (a client subscribes to types it knows).
    if (eventType.includes("{{")) fail(childPath(at, "event_type"), "takes no template (templates fill payloads only)");
    const payload = spec["payload"] ?? {};
    checkTemplates(payload, childPath(at, "payload"), { response: true });
    return {
      event_type: eventType,
      payload,
      delay_ms: integerAt(spec["delay_ms"], childPath(at, "delay_ms"), 0, MAX_PUSH_DELAY_MS, 0),
      to: compileTarget(spec["to"], childPath(at, "to")),
    };
  });
}

function compileTarget(value: unknown, path: string): PushTarget {
  if (value === undefined) return "caller";
  if (value === "caller" || value === "user" || value === "all") return value;
  const rule = `must be "caller", "user", "all" or {"user_id": "…"}`;
  if (typeof value !== "object" || value === null || Array.isArray(value)) fail(path, rule);
  const target = objectAt(value, path, ["user_id"]);
  const userId = target["user_id"];
  if (typeof userId !== "string" || userId.length < 1 || userId.length > 256) fail(childPath(path, "user_id"), "must be a string of 1..256 characters");
  checkTemplates(userId, childPath(path, "user_id"), { response: true });
  return { user_id: userId };
}

function compileScenario(value: unknown, path: string): NonNullable<StubMapping["scenario"]> {
  const scenario = objectAt(value, path, ["name", "required_state", "new_state"]);
  const label = (key: string) =>
    scenario[key] === undefined ? undefined : stringAt(scenario[key], childPath(path, key), LABEL_PATTERN, "1..128 printable characters");
  const name = label("name");
  if (name === undefined) fail(childPath(path, "name"), "is required");
  const required = label("required_state");
  const next = label("new_state");
  return { name, ...(required !== undefined ? { required_state: required } : {}), ...(next !== undefined ? { new_state: next } : {}) };
}
