// Constants and wire-level JSON types of PROTOCOL.md, shared by every runtime.

export const PROTOCOL_VERSION = 1;
export const SUPPORTED_PROTOCOL_VERSIONS: readonly number[] = [1];
export const SUBSCRIBE_MESSAGE_TYPE = "gateway.subscribe_events";
export const SERVER_TIME_EVENT_TYPE = "gateway.server_time";

/** request_id: 1..128 chars of [A-Za-z0-9._:-] (gateway.proto). */
export const REQUEST_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;
export const PAYLOAD_HASH_BYTES = 32;
export const SIGNATURE_BYTES = 64;
export const PUBLIC_KEY_BYTES = 32;
export const MAX_PAYLOAD_BYTES = 64 * 1024;
export const DEFAULT_FRESHNESS_WINDOW_MS = 60_000;
/** Public REST bodies (§3). */
export const MAX_PUBLIC_BODY_BYTES = 4 * 1024;
/**
 * A whole state document (PUT /emulator/v1/state), far above the control plane's 64 KiB: the mock
 * keeps up to 1 MiB of push log, 10,000 challenges (~2 MB of JSON) and 1,000 mails, and its users are
 * not capped; 16 MiB leaves room for tens of thousands of users while a body stays cheap to buffer once.
 */
export const MAX_STATE_DOCUMENT_BYTES = 16 * 1024 * 1024;
export const EMAIL_CODE_PATTERN = /^[0-9]{6}$/;
export const CHALLENGE_TTL_MS = 10 * 60_000;
export const MAX_CODE_ATTEMPTS = 5;

/** The stages of §4 in their fixed order, plus `push` for stream-side failures. */
export const STAGES = [
  "envelope",
  "session",
  "payload_hash",
  "signature",
  "freshness",
  "replay",
  "rate_limit",
  "routing",
  "backend",
] as const;
/** `fault`: where an injected fault acts (emulator-only, after routing; src/gateway/faults/). */
export type PipelineStageName = (typeof STAGES)[number] | "fault";
export type StageName = PipelineStageName | "push";

/** GatewayError.reason values the gateway produces itself. */
export type GatewayReason =
  | "malformed_envelope"
  | "unsupported_protocol_version"
  | "unknown_session"
  | "session_revoked"
  | "payload_hash_mismatch"
  | "invalid_signature"
  | "stale_request"
  | "replayed_request"
  | "rate_limited"
  | "unknown_message_type"
  | "backend_unavailable"
  | "deadline_exceeded"
  | "client_cancelled"
  | "gateway_shutting_down"
  | "slow_consumer"
  | "too_many_streams"
  /** An injected fault (emulator-only): the default reason of an execute fault's error, and of a cut stream. */
  | "injected_fault"
  // Cluster mode (--redis): the shared store could not answer, so the call is refused (fail closed).
  | "replay_store_unavailable"
  | "rate_limit_store_unavailable"
  | "session_store_unavailable";

/** Public REST error codes (§3). */
export type PublicErrorCode =
  | "invalid_request"
  | "invalid_code"
  | "challenge_expired"
  | "payload_too_large"
  | "unsupported_media_type"
  | "rate_limited"
  | "too_many_attempts"
  | "backend_unavailable"
  | "not_found"
  | "method_not_allowed"
  | "unauthorized"
  | "forbidden"
  | "unsupported_by_backend"
  // Cluster mode (--redis): the shared anti-abuse budgets could not be read, so the call is refused;
  // a control-plane change could not reach the cluster (Redis).
  | "rate_limit_store_unavailable"
  | "cluster_unavailable"
  // Record and play back (README): the control plane's recording endpoints in the wrong mode.
  | "not_recording"
  | "not_playing_back";

export interface RestErrorBody {
  error: { code: string; message: string };
}

export interface GatewayInfo {
  protocol_versions: number[];
  response_signing_public_key: string;
  freshness_window_ms: number;
  server_time_ms: number;
}

export interface SendEmailCodeResponse {
  challenge_id: string;
}

export interface ConfirmEmailCodeResponse {
  device_session_id: string;
  user_id: string;
}

export interface BackendSession {
  device_session_id: string;
  user_id: string;
  client_public_key: string;
  status: "active" | "revoked";
  created_at_ms: number;
}

/** A code the mock backend "sent", as it keeps it. */
export interface SentMail {
  email: string;
  code: string;
  challenge_id: string;
  sent_at_ms: number;
}

/**
 * A mailbox entry as `GET /emulator/v1/mailbox` answers it: the mail and its challenge's state now,
 * kept by the backend so that every browser (and any tool) sees the same. `used`: a confirm already
 * consumed it. `expired`: it can no longer be confirmed (its 10 minutes passed, it died after too
 * many wrong codes, or the challenge is gone).
 */
export interface MailboxMessage extends SentMail {
  used: boolean;
  expired: boolean;
}

export type PushInjection =
  | {
      client_event: {
        user_id: string;
        device_session_id?: string;
        event_type: string;
        payload?: unknown;
      };
    }
  | {
      session_invalidation: {
        user_id: string;
        device_session_id?: string;
        reason: string;
      };
    };

export interface JournalStage {
  stage: StageName;
  ok: boolean;
  ms: number;
  reason?: string;
}

export interface JournalEntry {
  seq: number;
  at_ms: number;
  rpc: "ExecuteCommand" | "SubscribeEvents";
  protocol: "connect" | "grpc" | "grpc-web";
  device_session_id: string;
  request_id: string;
  message_type: string;
  stages: JournalStage[];
  /** Connect code name ("ok", "invalid_argument", …). */
  code: string;
  reason?: string;
  result_code?: string;
  /** ExecuteCommand's payload as the client sent it (its bytes as UTF-8 text, cut at the journal's body cap). */
  request_body?: JournalBody;
  /** The backend's answer, as the signed response carries it. */
  response_body?: JournalBody;
  /** The bodies were dropped to keep the journal's total body bytes within its budget (oldest first). */
  bodies_dropped?: boolean;
  /** The ids of the faults injected into this call (emulator-only), space-separated: nobody mistakes them for gateway bugs. */
  injected?: string;
  /** The call was of a stubbed message type (mock backend stubs, README "Your own game"). */
  stub?: JournalStub;
  /** Cluster mode only: the gateway instance that took the call (merge instances' journals by at_ms). */
  instance?: string;
}

/** A body as the journal keeps it: its first bytes as UTF-8 text (invalid sequences → U+FFFD). */
export interface JournalBody {
  text: string;
  /** The body's full size in bytes. */
  bytes: number;
  /** Only the first MAX_JOURNAL_BODY_BYTES (src/gateway/journal.ts) are in `text`. */
  truncated: boolean;
}

/** `GET /emulator/v1/status`: what the gateway measures of itself, its backend and its push stream. */
/** GET /emulator/v1/recording (README "Record and play back"): off, recording (`--record`), or playing back (`--playback`). */
export type RecordingState =
  | { mode: "off"; recording: false }
  | {
      mode: "recording";
      /** false once stopped (POST …/recording/stop, a limit, a write failure); the gateway serves on. */
      recording: boolean;
      dir: string;
      started_at_ms: number;
      stopped_at_ms?: number;
      stop_reason?: string;
      secrets_redacted: boolean;
      counts: { commands: number; session_lookups: number; auth_calls: number; pushes: number };
      bytes: number;
      /** Exchanges written and fsynced: what a kill -9 now would leave. */
      written: number;
    }
  | {
      mode: "playback";
      recording: false;
      dir: string;
      counts: { stubs: number; users: number; sessions: number; pushes: number; skipped_commands: number };
      replay: { running: boolean; sent: number; total: number };
    };

export interface EmulatorStatus {
  server_time_ms: number;
  freshness_window_ms: number;
  response_signing_public_key: string;
  /** "mock" or the backend URL. */
  backend: string;
  backend_health: {
    /** The backend answered GET /healthz (any HTTP status) within the probe's deadline. */
    reachable: boolean;
    http_status?: number;
    latency_ms?: number;
    error?: string;
    /** Known to the mock backend (its /healthz counts them); absent for a backend that does not say. */
    users?: number;
    sessions?: number;
  };
  push_stream: { connected: boolean; since_ms: number; last_error?: string };
  open_event_streams: number;
  journal: { entries: number; commands: number; subscriptions: number };
  /** The gateway's Ed25519 (libsodium where it loads, node:crypto otherwise) and, on node:crypto, why. */
  ed25519: { engine: "libsodium" | "node:crypto"; why_not_libsodium?: string };
}

/**
 * Which stub mapping answered (`matched`), or, when none matched, the nearest mapping's id and the
 * first field where it differed (`payload.item`, `email`, `scenario`).
 */
export type JournalStub = { matched: true; id: string } | { matched: false; nearest_id: string; differs_at: string };

export interface Route {
  method: "GET" | "POST" | "PATCH" | "PUT" | "DELETE";
  /** Path under /api/v1/user/, e.g. "profile". */
  path: string;
  /** An example payload, shown by the desktop client's command editor. */
  example?: unknown;
}

export type RoutingTable = Record<string, Route>;

export interface RateLimitBudget {
  /** Tokens refilled per second. */
  rate_per_s: number;
  /** Bucket size. */
  burst: number;
}

export interface EmulatorConfig {
  freshness_window_ms: number;
  clock_offset_ms: number;
  /** "mock" or the base URL of a real backend. */
  backend: string;
  routes: RoutingTable;
  rate_limits: {
    per_ip: RateLimitBudget;
    per_session: RateLimitBudget;
    per_user: RateLimitBudget;
    per_message_type: RateLimitBudget;
  };
  /** The anti-abuse buckets of the public auth calls (§3). */
  public_rate_limits: {
    per_ip: RateLimitBudget;
    per_email: RateLimitBudget;
    per_challenge: RateLimitBudget;
  };
  /**
   * Browser origins granted CORS on the public surface (never on the control plane): exact origins
   * (`https://game.example`) or port wildcards (`http://localhost:*`). Default: loopback on any port.
   */
  cors_origins: string[];
}

/** A fleet of the mock backend's toy game (`game.fleet.dispatch`'s answer; the SDK types it too). */
export interface Fleet {
  fleet_id: string;
  from_planet: string;
  to_planet: string;
  ships: number;
  arrives_at_ms: number;
}
