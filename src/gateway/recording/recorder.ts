// `--record DIR` (README "Record and play back"): every exchange the gateway makes with the backend —
// routed commands, session lookups, public auth calls, push events — appended to DIR/recording.jsonl
// (src/node/recording-format.ts), secrets redacted (redact.ts). Writes are group-committed: what
// arrives while a write runs goes in the next one, each write fsynced, so a call never waits for the
// disk and a kill -9 loses at most the batch being written (a torn last line, ignored on load).
// Only answered exchanges are recorded: a refused, reset or timed-out call left nothing to play back.
import { mkdir, open, stat, type FileHandle } from "node:fs/promises";
import type { PushEvent } from "../../shared/gen/galaxy/backend/v1/backend_push_pb.js";
import { fromUtf8 } from "../../shared/bytes.js";
import type { RecordingState } from "../../shared/protocol.js";
import { stateFilePath, writeFileAtomic } from "../../node/atomic-file.js";
import {
  RECORDING_FILE,
  RECORDING_SUMMARY_FILE,
  RECORDING_VERSION,
  type ExchangeRecord,
  type RecordingHeader,
} from "../../node/recording-format.js";
import type { BackendReply, BackendRequestInit } from "../backend/rest-client.js";
import { compileRedactPatterns, DEFAULT_REDACT_FIELDS, redactJson, redactQuery, type FieldTest } from "./redact.js";

/**
 * Exchanges recorded at most. Playback turns the commands into stub mappings, of which the mock holds
 * 1,000 (identical exchanges become one); ten times that leaves room for repeats, lookups and pushes.
 */
export const MAX_RECORDED_EXCHANGES = 10_000;
/**
 * Bytes written at most. Playback reads the file whole into memory (MAX_RECORDING_FILE_BYTES is the
 * reader's cap, above this); a session of the default routes writes ~300 bytes an exchange.
 */
export const MAX_RECORDING_BYTES = 32 * 1024 * 1024;

export interface RecordOptions {
  dir: string;
  /** Keep secrets (`--record-secrets`); default false: fields matching `redact` are replaced. */
  secrets?: boolean;
  /** Field-name patterns redacted (`--record-redact`); default DEFAULT_REDACT_FIELDS. */
  redact?: readonly string[];
  maxExchanges?: number;
  maxBytes?: number;
}

/** GET /emulator/v1/recording while recording (or after the recording stopped). */
export type RecordingStatus = Extract<RecordingState, { mode: "recording" }>;
type RecordingCounts = RecordingStatus["counts"];

const USER_PREFIX = "/api/v1/user/";
const SESSION_PREFIX = "/api/v1/internal/sessions/";
const AUTH_PREFIX = "/api/v1/public/auth/";

export class Recorder {
  private readonly counts: RecordingCounts = { commands: 0, session_lookups: 0, auth_calls: 0, pushes: 0 };
  private bytes = 0;
  private exchanges = 0;
  private pending: string[] = [];
  private written = 0;
  private writing: Promise<void> | undefined;
  private stoppedAtMs: number | undefined;
  private stopReason: string | undefined;
  private closed: Promise<void> | undefined;

  private constructor(
    private readonly dir: string,
    private readonly file: FileHandle,
    private readonly header: RecordingHeader,
    private readonly secret: FieldTest | undefined,
    private readonly maxExchanges: number,
    private readonly maxBytes: number,
  ) {}

  /** Creates DIR and its recording; refuses a DIR that already holds one (a recording is never appended to another). */
  static async open(options: RecordOptions, backendUrl: string): Promise<Recorder> {
    const secrets = options.secrets === true;
    const redact = [...(options.redact ?? DEFAULT_REDACT_FIELDS)];
    const secret = secrets ? undefined : compileRedactPatterns(redact);
    await mkdir(options.dir, { recursive: true, mode: 0o700 });
    const path = stateFilePath(options.dir, RECORDING_FILE);
    const existing = await stat(path).catch(() => undefined);
    if (existing && existing.size > 0) {
      throw new Error(`--record ${options.dir}: already holds a recording (${RECORDING_FILE}); record into a new folder, or play this one back with --playback`);
    }
    const header: RecordingHeader = { kind: "recording", version: RECORDING_VERSION, started_at_ms: Date.now(), backend: withoutCredentials(backendUrl), secrets, redact };
    // 0600: even redacted, a recording holds a game's data.
    const file = await open(path, "a", 0o600);
    const recorder = new Recorder(options.dir, file, header, secret, options.maxExchanges ?? MAX_RECORDED_EXCHANGES, options.maxBytes ?? MAX_RECORDING_BYTES);
    try {
      await file.write(JSON.stringify(header) + "\n");
      await file.datasync();
      await recorder.writeSummary();
    } catch (err) {
      await file.close();
      throw err;
    }
    return recorder;
  }

  /** The REST client's observer (rest-client.ts `observe`): one answered backend call. */
  backendExchange(method: string, path: string, init: BackendRequestInit, reply: BackendReply): void {
    if (this.stoppedAtMs !== undefined) return;
    const answer = jsonOf(reply.body);
    // A non-JSON answer is one the gateway turns into backend_unavailable: nothing a stub can replay.
    if (answer === NOT_JSON) return;
    const at_ms = this.offset();
    const answered = { status: reply.status, ...(answer !== undefined ? { answer: this.redact(answer, true) } : {}) };
    if (path.startsWith(USER_PREFIX)) {
      const headers = init.headers ?? {};
      const body = init.body && init.body.length > 0 ? jsonOf(Buffer.from(init.body)) : undefined;
      this.add("commands", {
        kind: "command",
        at_ms,
        message_type: headers["x-galaxy-message-type"] ?? "",
        method,
        path,
        ...(init.query ? { query: this.secret ? redactQuery(init.query, this.secret) : init.query } : {}),
        ...(body !== undefined && body !== NOT_JSON ? { body: this.redact(body) } : {}),
        user_id: headers["x-galaxy-user-id"] ?? "",
        device_session_id: headers["x-galaxy-device-session-id"] ?? "",
        ...answered,
      });
    } else if (path.startsWith(SESSION_PREFIX)) {
      this.add("session_lookups", { kind: "session", at_ms, device_session_id: decodeURIComponent(path.slice(SESSION_PREFIX.length)), ...answered });
    } else if (path.startsWith(AUTH_PREFIX)) {
      const body = init.body ? jsonOf(Buffer.from(init.body)) : undefined;
      this.add("auth_calls", { kind: "auth", at_ms, path, ...(body !== undefined && body !== NOT_JSON ? { body: this.redact(body) } : {}), ...answered });
    }
    // Anything else (the mock's /emulator/v1 endpoints) is the emulator's business, not the backend's.
  }

  /** The push dispatcher's observer: one event delivered from SubscribePush. */
  pushEvent(event: PushEvent): void {
    if (this.stoppedAtMs !== undefined) return;
    const at_ms = this.offset();
    const kind = event.kind;
    if (kind.case === "clientEvent") {
      const e = kind.value;
      const payload = jsonOf(Buffer.from(e.payloadBytes));
      this.add("pushes", {
        kind: "push",
        at_ms,
        event_id: event.eventId,
        client_event: {
          user_id: e.userId,
          device_session_id: e.deviceSessionId,
          event_type: e.eventType,
          ...(payload === NOT_JSON ? { payload_base64: Buffer.from(e.payloadBytes).toString("base64") } : { payload: this.redact(payload ?? {}) }),
        },
      });
    } else if (kind.case === "sessionInvalidation") {
      const e = kind.value;
      this.add("pushes", { kind: "push", at_ms, event_id: event.eventId, session_invalidation: { user_id: e.userId, device_session_id: e.deviceSessionId, reason: e.reason } });
    }
  }

  status(): RecordingStatus {
    return {
      mode: "recording",
      recording: this.stoppedAtMs === undefined,
      dir: this.dir,
      started_at_ms: this.header.started_at_ms,
      ...(this.stoppedAtMs !== undefined ? { stopped_at_ms: this.stoppedAtMs, stop_reason: this.stopReason } : {}),
      secrets_redacted: this.secret !== undefined,
      counts: { ...this.counts },
      bytes: this.bytes,
      written: this.written,
    };
  }

  /** Stops recording (the gateway goes on serving); resolves once everything recorded is on disk. */
  async stop(reason = "stopped"): Promise<RecordingStatus> {
    if (this.stoppedAtMs === undefined) {
      this.stoppedAtMs = Date.now();
      this.stopReason = reason;
    }
    await this.writing;
    await this.writeSummary().catch(() => {}); // informational; the journal is what playback reads
    return this.status();
  }

  /** Stops, waits for the last write, closes the file (gateway shutdown). */
  close(): Promise<void> {
    return (this.closed ??= (async () => {
      await this.stop();
      await this.file.close();
    })());
  }

  private offset(): number {
    return Math.max(0, Date.now() - this.header.started_at_ms);
  }

  private redact(value: unknown, answer = false): unknown {
    return this.secret ? redactJson(value, this.secret, answer) : value;
  }

  private add(count: keyof RecordingCounts, record: ExchangeRecord): void {
    const line = JSON.stringify(record) + "\n";
    const size = Buffer.byteLength(line);
    if (this.exchanges + 1 > this.maxExchanges) return void this.stop(`limit: ${this.maxExchanges} exchanges recorded`);
    if (this.bytes + size > this.maxBytes) return void this.stop(`limit: ${this.maxBytes} bytes recorded`);
    this.exchanges++;
    this.counts[count]++;
    this.bytes += size;
    this.pending.push(line);
    this.writing ??= this.drain();
  }

  /** Writes batches until nothing is pending; a failed write stops the recording (the gateway goes on). */
  private async drain(): Promise<void> {
    // Let the exchanges of this turn join the first batch.
    await new Promise<void>((resolve) => setImmediate(resolve));
    try {
      while (this.pending.length > 0) {
        const batch = this.pending;
        this.pending = [];
        await this.file.write(batch.join(""));
        await this.file.datasync();
        this.written += batch.length;
      }
    } catch (err) {
      this.pending = [];
      this.stoppedAtMs ??= Date.now();
      this.stopReason ??= `write failed: ${err instanceof Error ? err.message : String(err)}`;
    } finally {
      this.writing = undefined;
    }
  }

  private writeSummary(): Promise<void> {
    return writeFileAtomic(stateFilePath(this.dir, RECORDING_SUMMARY_FILE), JSON.stringify({ header: this.header, ...this.status() }, null, 2) + "\n");
  }
}

const NOT_JSON = Symbol("not JSON");

/** A body as JSON: undefined when empty, NOT_JSON when it is not JSON. */
function jsonOf(body: Buffer): unknown {
  if (body.length === 0) return undefined;
  try {
    return JSON.parse(fromUtf8(body));
  } catch {
    return NOT_JSON;
  }
}

function withoutCredentials(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = "";
    parsed.password = "";
    return parsed.toString().replace(/\/$/, "");
  } catch {
    return "";
  }
}
