// The one check of a whole mock-backend snapshot (persistence.ts's PersistedState) before it replaces
// the live state — PUT /emulator/v1/state and a state file read at start. Every field's type and range,
// no unknown field, ids unique, sessions and mail pointing where they should, push events decodable with
// consecutive ids ending at last_id. The first problem is reported with its JSON path
// (`store.sessions[2].client_public_key: must be …`), so a hand-edited file is easy to fix.
// Hand-written rather than zod: the backend's room does not take zod (.dependency-cruiser.cjs).
import { fromBinary } from "@bufbuild/protobuf";
import { PushEventSchema } from "../shared/gen/galaxy/backend/v1/backend_push_pb.js";
import { EMAIL_CODE_PATTERN, MAX_CODE_ATTEMPTS } from "../shared/protocol.js";
import { EMAIL_PATTERN, isValidClientPublicKey } from "./auth-routes.js";
import type { PersistedState } from "./persistence.js";
import { PUSH_LOG_CAPACITY } from "./push-log.js";
import { MAILBOX_CAPACITY, MAX_CHALLENGES, normalizeEmail } from "./store.js";
import { compileMapping } from "./stubs/mapping.js";
import { MAX_STUBS } from "./stubs/stub-store.js";
import { StubValidationError } from "./stubs/validation-error.js";

export class SnapshotError extends Error {
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(`${path}: ${reason}`);
  }
}

/** Ids and e-mails as the mock makes and accepts them (the lengths its routes allow). */
const MAX_ID = 128;
const MAX_EMAIL = 254;
const MAX_TEXT = 128;
/** Lists the mock itself does not cap (users, sessions, planets, fleets): the body limit bounds them. */
const UNCAPPED = Number.MAX_SAFE_INTEGER;
const MAX_TIME_MS = 8.64e15; // the ECMAScript Date range

type Json = Record<string, unknown>;

function fail(path: string, reason: string): never {
  throw new SnapshotError(path, reason);
}

/** An object with exactly these fields (`optional` may be absent). */
function object(value: unknown, path: string, fields: readonly string[], optional: readonly string[] = []): Json {
  if (typeof value !== "object" || value === null || Array.isArray(value)) fail(path, "must be a JSON object");
  const o = value as Json;
  for (const key of Object.keys(o)) if (!fields.includes(key) && !optional.includes(key)) fail(join(path, key), "unknown field");
  for (const key of fields) if (!Object.hasOwn(o, key)) fail(join(path, key), "is missing");
  return o;
}

function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

function array(value: unknown, path: string, max: number): unknown[] {
  if (!Array.isArray(value)) fail(path, "must be an array");
  if (value.length > max) fail(path, `must have at most ${max} entries`);
  return value;
}

function text(value: unknown, path: string, min = 1, max = MAX_TEXT): string {
  if (typeof value !== "string") fail(path, "must be a string");
  if (value.length < min || value.length > max) fail(path, `must be ${min}..${max} characters`);
  return value;
}

function integer(value: unknown, path: string, min = 0, max = MAX_TIME_MS): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < min || value > max) fail(path, `must be an integer ${min}..${max}`);
  return value;
}

function email(value: unknown, path: string): string {
  const e = text(value, path, 3, MAX_EMAIL);
  if (normalizeEmail(e) !== e || !EMAIL_PATTERN.test(e)) fail(path, "must be an e-mail address, trimmed and in lower case");
  return e;
}

function unique(seen: Set<string>, value: string, path: string): void {
  if (seen.has(value)) fail(path, `duplicate "${value}"`);
  seen.add(value);
}

/** Throws SnapshotError at the first problem; returns the value, now known to be a PersistedState. */
export function checkSnapshot(value: unknown, version: number): PersistedState {
  const root = object(value, "", ["version", "saved_at_ms", "store", "push"], ["stubs"]);
  if (root["version"] !== version) fail("version", `must be ${version}`);
  integer(root["saved_at_ms"], "saved_at_ms");
  const store = object(root["store"], "store", ["users", "sessions", "challenges", "mailbox"]);

  const userIds = new Set<string>();
  const emails = new Set<string>();
  array(store["users"], "store.users", UNCAPPED).forEach((raw, i) => {
    const path = `store.users[${i}]`;
    const u = object(raw, path, ["user_id", "email", "display_name", "created_at_ms", "game"]);
    unique(userIds, text(u["user_id"], `${path}.user_id`, 1, MAX_ID), `${path}.user_id`);
    unique(emails, email(u["email"], `${path}.email`), `${path}.email`);
    text(u["display_name"], `${path}.display_name`, 1, MAX_EMAIL);
    integer(u["created_at_ms"], `${path}.created_at_ms`);
    checkGame(u["game"], `${path}.game`);
  });

  const sessionIds = new Set<string>();
  array(store["sessions"], "store.sessions", UNCAPPED).forEach((raw, i) => {
    const path = `store.sessions[${i}]`;
    const s = object(raw, path, ["device_session_id", "user_id", "client_public_key", "status", "created_at_ms"]);
    unique(sessionIds, text(s["device_session_id"], `${path}.device_session_id`, 1, MAX_ID), `${path}.device_session_id`);
    if (!userIds.has(text(s["user_id"], `${path}.user_id`, 1, MAX_ID))) fail(`${path}.user_id`, "names no user of store.users");
    const key = text(s["client_public_key"], `${path}.client_public_key`, 1, MAX_ID);
    if (!isValidClientPublicKey(key)) fail(`${path}.client_public_key`, "must be a valid Ed25519 public key, base64url without padding");
    if (s["status"] !== "active" && s["status"] !== "revoked") fail(`${path}.status`, 'must be "active" or "revoked"');
    integer(s["created_at_ms"], `${path}.created_at_ms`);
  });

  const challengeIds = new Set<string>();
  array(store["challenges"], "store.challenges", MAX_CHALLENGES).forEach((raw, i) => {
    const path = `store.challenges[${i}]`;
    const c = object(raw, path, ["challenge_id", "email", "code", "expires_at_ms", "wrong_attempts", "used"]);
    unique(challengeIds, text(c["challenge_id"], `${path}.challenge_id`, 1, MAX_ID), `${path}.challenge_id`);
    email(c["email"], `${path}.email`);
    if (!EMAIL_CODE_PATTERN.test(text(c["code"], `${path}.code`, 6, 6))) fail(`${path}.code`, "must be 6 digits");
    integer(c["expires_at_ms"], `${path}.expires_at_ms`);
    integer(c["wrong_attempts"], `${path}.wrong_attempts`, 0, MAX_CODE_ATTEMPTS);
    if (typeof c["used"] !== "boolean") fail(`${path}.used`, "must be true or false");
  });

  array(store["mailbox"], "store.mailbox", MAILBOX_CAPACITY).forEach((raw, i) => {
    const path = `store.mailbox[${i}]`;
    const m = object(raw, path, ["email", "code", "challenge_id", "sent_at_ms"]);
    email(m["email"], `${path}.email`);
    if (!EMAIL_CODE_PATTERN.test(text(m["code"], `${path}.code`, 6, 6))) fail(`${path}.code`, "must be 6 digits");
    text(m["challenge_id"], `${path}.challenge_id`, 1, MAX_ID);
    integer(m["sent_at_ms"], `${path}.sent_at_ms`);
  });

  checkPushLog(root["push"]);
  if (root["stubs"] !== undefined) checkStubs(root["stubs"]);
  return value as PersistedState;
}

/** The stub mappings as StubStore.toState() writes them: each mapping passes the very validation POST /stubs applies. */
function checkStubs(value: unknown): void {
  const s = object(value, "stubs", ["next_seq", "stubs", "scenarios"]);
  integer(s["next_seq"], "stubs.next_seq");
  const ids = new Set<string>();
  array(s["stubs"], "stubs.stubs", MAX_STUBS).forEach((raw, i) => {
    const path = `stubs.stubs[${i}]`;
    const entry = object(raw, path, ["mapping", "seq", "matched_count"]);
    try {
      const compiled = compileMapping(entry["mapping"], `${path}.mapping`, () => fail(`${path}.mapping.id`, "is missing"));
      unique(ids, compiled.mapping.id, `${path}.mapping.id`);
    } catch (err) {
      if (err instanceof StubValidationError) fail(err.path, err.reason);
      throw err;
    }
    integer(entry["seq"], `${path}.seq`);
    integer(entry["matched_count"], `${path}.matched_count`);
  });
  const scenarios = s["scenarios"];
  if (typeof scenarios !== "object" || scenarios === null || Array.isArray(scenarios)) fail("stubs.scenarios", "must be a JSON object");
  for (const [name, state] of Object.entries(scenarios)) text(state, `stubs.scenarios.${JSON.stringify(name)}`);
}

function checkGame(value: unknown, path: string): void {
  const g = object(value, path, ["parked", "in_flight"]);
  array(g["parked"], `${path}.parked`, UNCAPPED).forEach((raw, i) => {
    const entry = array(raw, `${path}.parked[${i}]`, 2);
    if (entry.length !== 2) fail(`${path}.parked[${i}]`, "must be [planet, ships]");
    text(entry[0], `${path}.parked[${i}][0]`);
    integer(entry[1], `${path}.parked[${i}][1]`, 0, Number.MAX_SAFE_INTEGER);
  });
  array(g["in_flight"], `${path}.in_flight`, UNCAPPED).forEach((raw, i) => {
    const p = `${path}.in_flight[${i}]`;
    const f = object(raw, p, ["fleet_id", "from_planet", "to_planet", "ships", "arrives_at_ms"]);
    text(f["fleet_id"], `${p}.fleet_id`, 1, MAX_ID);
    text(f["from_planet"], `${p}.from_planet`);
    text(f["to_planet"], `${p}.to_planet`);
    integer(f["ships"], `${p}.ships`, 1, Number.MAX_SAFE_INTEGER);
    integer(f["arrives_at_ms"], `${p}.arrives_at_ms`);
  });
}

/** Retained events decode as PushEvents whose ids run consecutively up to last_id. */
function checkPushLog(value: unknown): void {
  const push = object(value, "push", ["last_id", "events"]);
  const lastId = integer(push["last_id"], "push.last_id", 0, Number.MAX_SAFE_INTEGER);
  const events = array(push["events"], "push.events", PUSH_LOG_CAPACITY);
  if (events.length > lastId) fail("push.events", `holds more events than push.last_id (${lastId})`);
  events.forEach((raw, i) => {
    const path = `push.events[${i}]`;
    const b64 = text(raw, path, 1, Number.MAX_SAFE_INTEGER);
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) fail(path, "must be base64");
    let eventId: string;
    try {
      eventId = fromBinary(PushEventSchema, Buffer.from(b64, "base64")).eventId;
    } catch {
      fail(path, "is not a binary galaxy.backend.v1.PushEvent");
    }
    const expected = String(lastId - events.length + 1 + i);
    if (eventId !== expected) fail(`${path}`, `has event id "${eventId}"; ids must run consecutively up to push.last_id (expected "${expected}")`);
  });
}
