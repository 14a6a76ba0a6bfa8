// Typed payloads of the default routes (PROTOCOL.md §4; the mock backend's src/backend/user-routes.ts
// and fleet-game.ts) and of the events the default backend pushes. Any other message type still works
// through `execute(type, payload)` with `unknown` payloads: a real gateway's routes are configuration.
import type { Fleet } from "../shared/protocol.js";

export type { Fleet };

export interface Profile {
  user_id: string;
  email: string;
  display_name: string;
  created_at_ms: number;
}

export interface SessionSummary {
  device_session_id: string;
  status: "active" | "revoked";
  created_at_ms: number;
  /** The session that asked. */
  current: boolean;
}

/** message_type → the JSON payload it takes and the one it answers with result_code "ok". */
export interface DefaultRoutes {
  "user.profile.get": { request: Record<string, never> | undefined; response: Profile };
  "user.profile.update": { request: { display_name: string }; response: Profile };
  "user.sessions.list": { request: Record<string, never> | undefined; response: { sessions: SessionSummary[] } };
  /** `{}` revokes every session of the user; the revoked ones are pushed a session invalidation. */
  "user.sessions.revoke": { request: { device_session_id?: string }; response: { revoked: string[] } };
  /** The recipient's sessions are pushed `game.chat.message`. */
  "game.chat.send": { request: { to_user_id: string; text: string }; response: { delivered: true; message_id: string } };
  /** Business errors: `same_planet`, `insufficient_ships` (every user starts with 100 ships at "earth"). */
  "game.fleet.dispatch": {
    request: { from_planet: string; to_planet: string; ships: number };
    response: Fleet & { ships_remaining: number };
  };
}

export type DefaultMessageType = keyof DefaultRoutes;

/** event_type → payload of the events the gateway and the default backend send. */
export interface DefaultEvents {
  /** The first event of every SubscribeEvents stream, from the gateway itself. */
  "gateway.server_time": { server_time_ms: number };
  "game.chat.message": { message_id: string; from_user_id: string; text: string; sent_at_ms: number };
}

/** The body of a business error (a signed answer whose result_code is not "ok"; §4). */
export interface BusinessErrorBody {
  error: { code: string; message: string };
}
