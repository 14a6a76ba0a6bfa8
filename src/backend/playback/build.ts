// `--playback DIR` (README "Record and play back"): the mock backend built from a recording
// (src/node/recording-format.ts). Commands become stub mappings, in the very format of README "Stub
// mappings" (so they can be listed, edited, replaced); recorded users and device sessions go into the
// store (a device key from the recording keeps working); pushes are kept for replay-pushes.
// Everything is built and validated before the mock serves: a bad recording names file, line and path.
import type { BackendSession } from "../../shared/protocol.js";
import { fieldNameTest, readRecording, RecordingError, REDACTED, type CommandRecord, type PushRecord } from "../../node/recording-format.js";
import { FleetGame } from "../fleet-game.js";
import type { StoreState } from "../store.js";
import { compileMapping, type CompiledMapping } from "../stubs/mapping.js";
import { StubValidationError } from "../stubs/validation-error.js";
import { readPlaybackConfig, type PlaybackConfig } from "./playback-config.js";

/**
 * Recorded mappings rank below every hand-written one (default priority 5), the more specific (more
 * payload fields to agree with) first: a call that a `{}` recording and a `{"page":2}` recording both
 * match gets the latter's answer.
 */
const RECORDED_PRIORITY_BASE = 1_000;
const MAX_SPECIFICITY = 500;

export interface PlaybackSeed {
  dir: string;
  file: string;
  store: StoreState;
  stubs: CompiledMapping[];
  pushes: PushRecord[];
  /** Recorded commands a stub cannot answer (a 5xx, a 4xx without a JSON error): left out. */
  skipped: number;
}

export async function buildPlayback(dir: string): Promise<PlaybackSeed> {
  const recording = await readRecording(dir);
  const config = await readPlaybackConfig(dir);
  const { file } = recording;
  const at = (line: number, path: string, message: string) => new RecordingError(`${file}:${line}: ${path}: ${message}`);

  // Users and their e-mails (from the sign-ins), device sessions (from the lookups).
  const emailOfChallenge = new Map<string, string>();
  const emailOfUser = new Map<string, string>();
  const users = new Map<string, number>(); // user id → created_at_ms
  const sessions = new Map<string, BackendSession>();
  const commands: { line: number; record: CommandRecord }[] = [];
  const pushes: PushRecord[] = [];
  for (const { line, record } of recording.records) {
    switch (record.kind) {
      case "auth": {
        const body = asObject(record.body);
        const answer = asObject(record.answer);
        if (record.status !== 200) break;
        if (typeof body["email"] === "string" && typeof answer["challenge_id"] === "string") emailOfChallenge.set(answer["challenge_id"], body["email"]);
        if (typeof body["challenge_id"] === "string" && typeof answer["user_id"] === "string") {
          const userId = answer["user_id"];
          const email = emailOfChallenge.get(body["challenge_id"]);
          if (email) emailOfUser.set(userId, email.trim().toLowerCase());
          const createdAtMs = recording.header.started_at_ms + record.at_ms;
          if (!users.has(userId)) users.set(userId, createdAtMs);
          // The device session this sign-in made (its key is in the request): known even if no lookup of it was recorded.
          const deviceSessionId = answer["device_session_id"];
          const key = body["client_public_key"];
          if (typeof deviceSessionId === "string" && deviceSessionId !== "" && typeof key === "string" && key !== "") {
            sessions.set(deviceSessionId, { device_session_id: deviceSessionId, user_id: userId, client_public_key: key, status: "active", created_at_ms: createdAtMs });
          }
        }
        break;
      }
      case "session": {
        if (record.status !== 200) break;
        const session = sessionOf(record.answer, (path, message) => at(line, `$.answer${path}`, message));
        sessions.set(session.device_session_id, session);
        if (!users.has(session.user_id)) users.set(session.user_id, session.created_at_ms);
        break;
      }
      case "command":
        commands.push({ line, record });
        if (record.user_id && !users.has(record.user_id)) users.set(record.user_id, 0);
        break;
      case "push":
        pushes.push(record);
        break;
    }
  }
  const { stubs, skipped } = buildMappings(commands, config, at);
  const store: StoreState = {
    users: [...users].map(([user_id, created_at_ms]) => {
      // A user whose sign-in is not in the recording gets an address no one can receive mail at.
      const email = emailOfUser.get(user_id) ?? `${user_id}@playback.invalid`;
      return { user_id, email, display_name: email.split("@")[0] || email, created_at_ms, game: new FleetGame().toState() };
    }),
    sessions: [...sessions.values()],
    challenges: [],
    mailbox: [],
  };
  return { dir, file, store, stubs, pushes, skipped };
}

function asObject(value: unknown): Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

/** A session lookup's answer, as the gateway reads it (session-lookup.ts). */
function sessionOf(answer: unknown, fail: (path: string, message: string) => RecordingError): BackendSession {
  if (typeof answer !== "object" || answer === null || Array.isArray(answer)) throw fail("", "must be a JSON object (a device session)");
  const o = answer as Record<string, unknown>;
  for (const key of ["device_session_id", "user_id", "client_public_key"]) {
    if (typeof o[key] !== "string" || o[key] === "") throw fail(`.${key}`, "must be a non-empty string");
  }
  if (o["status"] !== "active" && o["status"] !== "revoked") throw fail(".status", `must be "active" or "revoked"`);
  return {
    device_session_id: o["device_session_id"] as string,
    user_id: o["user_id"] as string,
    client_public_key: o["client_public_key"] as string,
    status: o["status"],
    created_at_ms: typeof o["created_at_ms"] === "number" ? o["created_at_ms"] : 0,
  };
}

interface Answer {
  line: number;
  respond: { payload: unknown; result_code: string };
}

/**
 * One mapping per (message type, payload to match) and distinct answer. When the same call was answered
 * differently over time (a profile read before and after an update), its answers become a scenario —
 * each answer once, in the recorded order, the last one from then on — as WireMock's recorder does.
 */
function buildMappings(
  commands: { line: number; record: CommandRecord }[],
  config: PlaybackConfig,
  at: (line: number, path: string, message: string) => RecordingError,
): { stubs: CompiledMapping[]; skipped: number } {
  const volatile = fieldNameTest(config.volatileFields);
  const groups = new Map<string, { messageType: string; match: unknown; answers: Answer[] }>();
  let skipped = 0;
  for (const { line, record } of commands) {
    const respond = respondOf(record);
    if (!respond) {
      skipped++;
      continue;
    }
    const payload = record.method === "GET" || record.method === "DELETE" ? Object.fromEntries(new URLSearchParams(record.query ?? "")) : (record.body ?? {});
    const match = matchOf(payload, volatile, config.ignore.get(record.message_type) ?? []);
    const key = `${record.message_type}\u0000${canonical(match)}`;
    let group = groups.get(key);
    if (!group) groups.set(key, (group = { messageType: record.message_type, match, answers: [] }));
    const last = group.answers.at(-1);
    if (!last || canonical(last.respond) !== canonical(respond)) group.answers.push({ line, respond });
  }
  const stubs: CompiledMapping[] = [];
  let n = 0;
  let scenario = 0;
  for (const group of groups.values()) {
    const chain = group.answers.length > 1 ? `recorded-${++scenario}` : undefined;
    group.answers.forEach((answer, i) => {
      const id = `rec-${++n}-${group.messageType}`.slice(0, 128);
      const mapping = {
        id,
        message_type: group.messageType,
        priority: RECORDED_PRIORITY_BASE - Math.min(leaves(group.match), MAX_SPECIFICITY),
        match: { payload: group.match },
        respond: answer.respond,
        ...(chain
          ? {
              scenario: {
                name: chain,
                required_state: i === 0 ? "Started" : `answer-${i + 1}`,
                ...(i < group.answers.length - 1 ? { new_state: `answer-${i + 2}` } : {}),
              },
            }
          : {}),
      };
      try {
        stubs.push(compileMapping(mapping, "$", () => id));
      } catch (err) {
        if (err instanceof StubValidationError) throw at(answer.line, err.path, `makes no valid stub mapping: ${err.reason}`);
        throw err;
      }
    });
  }
  return { stubs, skipped };
}

/** What a stub answers for a recorded answer, or undefined when a stub cannot give it. */
function respondOf(record: CommandRecord): { payload: unknown; result_code: string } | undefined {
  if (record.status >= 200 && record.status < 300) return { payload: record.answer ?? {}, result_code: "ok" };
  if (record.status < 400 || record.status >= 500) return undefined;
  const code = asObject(asObject(record.answer)["error"])["code"];
  if (typeof code !== "string" || !/^[A-Za-z0-9._:-]{1,128}$/.test(code)) return undefined;
  // The payload keeps the error (message included), so the client gets the recorded body back.
  return { payload: record.answer, result_code: code };
}

/** The payload to match: volatile fields, ignored paths and redacted values left out (subset matching ignores what is absent). */
function matchOf(payload: unknown, volatile: (name: string) => boolean, ignored: string[][]): unknown {
  const strip = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(strip);
    if (typeof value !== "object" || value === null) return value;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (!volatile(k) && v !== REDACTED) out[k] = strip(v);
    return out;
  };
  const match = strip(payload);
  for (const path of ignored) removePath(match, path);
  // A stub matcher treats {"regex"} and {"absent"} objects as operators; a recorded payload's own such
  // objects are data. Rare enough to leave as they are (a user edits the mapping if it bites).
  return match;
}

function removePath(value: unknown, path: string[]): void {
  let node = value;
  for (const key of path.slice(0, -1)) {
    if (typeof node !== "object" || node === null) return;
    node = (node as Record<string, unknown>)[key];
  }
  if (typeof node === "object" && node !== null && !Array.isArray(node)) delete (node as Record<string, unknown>)[path.at(-1)!];
}

function leaves(value: unknown): number {
  if (Array.isArray(value)) return value.reduce<number>((n, v) => n + leaves(v), 0);
  if (typeof value === "object" && value !== null) return Object.values(value).reduce<number>((n, v) => n + leaves(v), 0);
  return 1;
}

/** JSON with object keys sorted: equal values, equal text. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (typeof value === "object" && value !== null) {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(value);
}
