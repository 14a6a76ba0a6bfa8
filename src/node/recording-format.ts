// A recording of a real backend (README "Record and play back"): what the gateway wrote while it
// talked to the backend (`--record DIR`, src/gateway/recording/) and what the mock backend plays back
// (`--playback DIR`, src/backend/playback/). Shared here because the writer (gateway) and the reader
// (mock backend) never import each other.
//
// DIR/recording.jsonl holds one JSON record a line, in the order the exchanges completed: a header
// first, then commands, session lookups, public auth calls and push events. Lines are appended and
// fsynced in batches, so a killed emulator leaves every finished batch; a torn last line (no newline
// at its end, not JSON) is what a kill in the middle of a write leaves, and is ignored.
import { readFile, stat } from "node:fs/promises";
import { stateFilePath } from "./atomic-file.js";

export const RECORDING_FILE = "recording.jsonl";
/** Written atomically at start and at stop: what the recording holds (informational; playback reads the journal). */
export const RECORDING_SUMMARY_FILE = "recording.json";
/** Optional, written by the user: what playback ignores when it matches (backend/playback/playback-config.ts). */
export const PLAYBACK_CONFIG_FILE = "playback.json";
export const RECORDING_VERSION = 1;
/**
 * The largest recording file read back. The recorder stops at MAX_RECORDING_BYTES (below this), so a
 * larger file is not one of ours; playback reads it whole into memory.
 */
export const MAX_RECORDING_FILE_BYTES = 64 * 1024 * 1024;
/** What a redacted value is replaced with (a string, so the JSON keeps its shape). */
export const REDACTED = "[redacted]";

export interface RecordingHeader {
  kind: "recording";
  version: number;
  started_at_ms: number;
  /** The backend URL, without credentials. */
  backend: string;
  /** Whether secrets were kept (`--record-secrets`); false: fields matching `redact` were replaced by REDACTED. */
  secrets: boolean;
  redact: string[];
}

/** A routed command (ExecuteCommand → `/api/v1/user/...`). */
export interface CommandRecord {
  kind: "command";
  /** ms since the header's started_at_ms. */
  at_ms: number;
  message_type: string;
  method: string;
  path: string;
  /** The query string (GET/DELETE-routed types carry the payload there), without "?". */
  query?: string;
  /** The JSON body sent (non-GET types). */
  body?: unknown;
  user_id: string;
  device_session_id: string;
  status: number;
  /** The backend's JSON answer (absent: an empty body). */
  answer?: unknown;
}

/** A session lookup (`GET /api/v1/internal/sessions/{id}`). */
export interface SessionRecord {
  kind: "session";
  at_ms: number;
  device_session_id: string;
  status: number;
  answer?: unknown;
}

/** A public auth call (`/api/v1/public/auth/...`). */
export interface AuthRecord {
  kind: "auth";
  at_ms: number;
  path: string;
  body?: unknown;
  status: number;
  answer?: unknown;
}

/** An event of the backend's push stream (SubscribePush), as the gateway took it. */
export interface PushRecord {
  kind: "push";
  at_ms: number;
  event_id: string;
  client_event?: {
    user_id: string;
    device_session_id: string;
    event_type: string;
    /** The payload when it is JSON … */
    payload?: unknown;
    /** … else its bytes, base64. */
    payload_base64?: string;
  };
  session_invalidation?: { user_id: string; device_session_id: string; reason: string };
}

export type ExchangeRecord = CommandRecord | SessionRecord | AuthRecord | PushRecord;

export interface Recording {
  file: string;
  header: RecordingHeader;
  /** Each with the line it came from (for errors that name it). */
  records: { line: number; record: ExchangeRecord }[];
}

/** A recording that cannot be played back: names the file, the line and the JSON path. */
export class RecordingError extends Error {}

/** Reads and checks DIR's recording; throws RecordingError naming the file, line and JSON path of the first problem. */
export async function readRecording(dir: string): Promise<Recording> {
  const file = stateFilePath(dir, RECORDING_FILE);
  let size: number;
  try {
    size = (await stat(file)).size;
  } catch (err) {
    throw new RecordingError(`${file}: cannot read it (${(err as NodeJS.ErrnoException).code ?? String(err)}); record one with --backend URL --record ${dir}`);
  }
  if (size > MAX_RECORDING_FILE_BYTES) throw new RecordingError(`${file}: larger than ${MAX_RECORDING_FILE_BYTES} bytes`);
  const text = await readFile(file, "utf8");
  const lines = text.split("\n");
  // The text after the last newline: empty for a complete file, else a line a kill cut short.
  const tail = lines.pop()!;
  if (tail.trim() !== "") {
    try {
      JSON.parse(tail);
      lines.push(tail); // complete, only its newline missing
    } catch {
      // torn by a kill mid-write: ignored
    }
  }
  let header: RecordingHeader | undefined;
  const records: Recording["records"] = [];
  lines.forEach((raw, index) => {
    const line = index + 1;
    if (raw.trim() === "") return;
    const at = (path: string, message: string) => new RecordingError(`${file}:${line}: ${path}: ${message}`);
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (err) {
      throw new RecordingError(`${file}:${line}: not JSON (${(err as Error).message})`);
    }
    if (header === undefined) {
      header = checkHeader(value, at);
      return;
    }
    records.push({ line, record: checkRecord(value, at) });
  });
  if (!header) throw new RecordingError(`${file}: empty (no header line)`);
  return { file, header, records };
}

type At = (path: string, message: string) => RecordingError;
type Json = Record<string, unknown>;

function object(value: unknown, path: string, at: At): Json {
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw at(path, "must be a JSON object");
  return value as Json;
}

function str(o: Json, key: string, path: string, at: At, optional = false): string {
  const v = o[key];
  if (v === undefined && optional) return "";
  if (typeof v !== "string") throw at(`${path}.${key}`, "must be a string");
  return v;
}

function num(o: Json, key: string, path: string, at: At): number {
  const v = o[key];
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0) throw at(`${path}.${key}`, "must be a non-negative integer");
  return v;
}

function checkHeader(value: unknown, at: At): RecordingHeader {
  const o = object(value, "$", at);
  if (o["kind"] !== "recording") throw at("$.kind", `must be "recording" (the first line is the header)`);
  if (o["version"] !== RECORDING_VERSION) throw at("$.version", `must be ${RECORDING_VERSION}`);
  const redact = o["redact"];
  if (!Array.isArray(redact) || !redact.every((r) => typeof r === "string")) throw at("$.redact", "must be an array of strings");
  if (typeof o["secrets"] !== "boolean") throw at("$.secrets", "must be true or false");
  return {
    kind: "recording",
    version: RECORDING_VERSION,
    started_at_ms: num(o, "started_at_ms", "$", at),
    backend: str(o, "backend", "$", at),
    secrets: o["secrets"],
    redact: redact as string[],
  };
}

function checkRecord(value: unknown, at: At): ExchangeRecord {
  const o = object(value, "$", at);
  const atMs = num(o, "at_ms", "$", at);
  switch (o["kind"]) {
    case "command": {
      const record: CommandRecord = {
        kind: "command",
        at_ms: atMs,
        message_type: str(o, "message_type", "$", at),
        method: str(o, "method", "$", at),
        path: str(o, "path", "$", at),
        user_id: str(o, "user_id", "$", at),
        device_session_id: str(o, "device_session_id", "$", at),
        status: num(o, "status", "$", at),
      };
      if (o["query"] !== undefined) record.query = str(o, "query", "$", at);
      if (o["body"] !== undefined) record.body = o["body"];
      if (o["answer"] !== undefined) record.answer = o["answer"];
      return record;
    }
    case "session": {
      const record: SessionRecord = { kind: "session", at_ms: atMs, device_session_id: str(o, "device_session_id", "$", at), status: num(o, "status", "$", at) };
      if (o["answer"] !== undefined) record.answer = o["answer"];
      return record;
    }
    case "auth": {
      const record: AuthRecord = { kind: "auth", at_ms: atMs, path: str(o, "path", "$", at), status: num(o, "status", "$", at) };
      if (o["body"] !== undefined) record.body = o["body"];
      if (o["answer"] !== undefined) record.answer = o["answer"];
      return record;
    }
    case "push": {
      const record: PushRecord = { kind: "push", at_ms: atMs, event_id: str(o, "event_id", "$", at) };
      const hasEvent = o["client_event"] !== undefined;
      if (hasEvent === (o["session_invalidation"] !== undefined)) throw at("$", `exactly one of "client_event" and "session_invalidation" is required`);
      if (hasEvent) {
        const e = object(o["client_event"], "$.client_event", at);
        record.client_event = {
          user_id: str(e, "user_id", "$.client_event", at),
          device_session_id: str(e, "device_session_id", "$.client_event", at, true),
          event_type: str(e, "event_type", "$.client_event", at),
        };
        if (e["payload_base64"] !== undefined) record.client_event.payload_base64 = str(e, "payload_base64", "$.client_event", at);
        else record.client_event.payload = e["payload"] ?? {};
      } else {
        const e = object(o["session_invalidation"], "$.session_invalidation", at);
        record.session_invalidation = {
          user_id: str(e, "user_id", "$.session_invalidation", at),
          device_session_id: str(e, "device_session_id", "$.session_invalidation", at, true),
          reason: str(e, "reason", "$.session_invalidation", at, true),
        };
      }
      return record;
    }
    default:
      throw at("$.kind", `must be "command", "session", "auth" or "push"`);
  }
}

/**
 * One test for field-name patterns (names with `*` for any run of characters, case-insensitive): the
 * recorder's redaction and playback's volatile fields speak this one language.
 */
export function fieldNameTest(patterns: readonly string[]): (name: string) => boolean {
  if (patterns.length === 0) return () => false;
  const source = patterns.map((p) => p.split("*").map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*")).join("|");
  const re = new RegExp(`^(?:${source})$`, "i");
  return (name) => re.test(name);
}
