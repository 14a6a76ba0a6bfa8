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
export type PipelineStageName = (typeof STAGES)[number];
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
  | "cluster_unavailable";

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

export interface MailboxMessage {
  email: string;
  code: string;
  challenge_id: string;
  sent_at_ms: number;
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
  /** Cluster mode only: the gateway instance that took the call (merge instances' journals by at_ms). */
  instance?: string;
}

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
