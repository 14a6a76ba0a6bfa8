// The /api/v1/user/... routes the gateway forwards ExecuteCommand calls to (PROTOCOL.md §4).
// The gateway has already authenticated the caller; identity arrives in X-Galaxy-* headers.
import type { IncomingMessage } from "node:http";
import { HttpError } from "../node/http-json.js";
import { asObject, invalidRequest, notFound, optionalString, requireString } from "./http-json.js";
import type { PushLog } from "./push-log.js";
import type { Route } from "./router.js";
import { randomId, type MockStore, type User } from "./store.js";

export const CHAT_MESSAGE_EVENT_TYPE = "game.chat.message";
export const REVOKED_BY_USER_REASON = "revoked_by_user";

export interface Caller {
  user: User;
  /** The calling device session, when the header names one of the user's sessions. */
  deviceSessionId: string | undefined;
}

/** 401 unless X-Galaxy-User-Id names a known user and any X-Galaxy-Device-Session-Id is one of theirs. */
export function callerOf(store: MockStore, req: IncomingMessage): Caller {
  const userId = header(req, "x-galaxy-user-id");
  const user = userId ? store.user(userId) : undefined;
  if (!user) throw new HttpError(401, "unauthenticated", "missing or unknown X-Galaxy-User-Id");
  const deviceSessionId = header(req, "x-galaxy-device-session-id");
  if (deviceSessionId && store.session(deviceSessionId)?.user_id !== user.user_id) {
    throw new HttpError(401, "unauthenticated", "X-Galaxy-Device-Session-Id is not a session of this user");
  }
  return { user, deviceSessionId };
}

export function userRoutes(store: MockStore, push: PushLog): Route[] {
  const caller = (req: IncomingMessage): Caller => callerOf(store, req);

  const profileOf = (user: User) => ({
    user_id: user.user_id,
    email: user.email,
    display_name: user.display_name,
    created_at_ms: user.created_at_ms,
  });

  return [
    {
      method: "GET",
      path: "/api/v1/user/profile",
      handler: (ctx) => ({ body: profileOf(caller(ctx.req).user) }),
    },
    {
      method: "PATCH",
      path: "/api/v1/user/profile",
      async handler(ctx) {
        const { user } = caller(ctx.req);
        const body = asObject(await ctx.body());
        const displayName = requireString(body, "display_name", { min: 1, max: 64 });
        if (displayName.trim() === "") throw invalidRequest(`"display_name" must not be blank`);
        user.display_name = displayName;
        return { body: profileOf(user) };
      },
    },
    {
      method: "GET",
      path: "/api/v1/user/sessions",
      handler(ctx) {
        const { user, deviceSessionId } = caller(ctx.req);
        const sessions = store.sessionsOf(user.user_id).map((s) => ({
          device_session_id: s.device_session_id,
          status: s.status,
          created_at_ms: s.created_at_ms,
          current: s.device_session_id === deviceSessionId,
        }));
        return { body: { sessions } };
      },
    },
    {
      method: "POST",
      path: "/api/v1/user/sessions/revoke",
      async handler(ctx) {
        const { user } = caller(ctx.req);
        const body = asObject(await ctx.body());
        const target = optionalString(body, "device_session_id", { min: 1, max: 128 });
        if (target !== undefined && store.session(target)?.user_id !== user.user_id) {
          throw notFound("no such session of this user");
        }
        // Only sessions that were still active are reported and pushed; repeats are no-ops.
        const revoked = store.revokeSessions(user.user_id, target);
        for (const id of revoked) {
          push.appendSessionInvalidation({ userId: user.user_id, deviceSessionId: id, reason: REVOKED_BY_USER_REASON });
        }
        return { body: { revoked } };
      },
    },
    {
      method: "POST",
      path: "/api/v1/user/game/chat",
      async handler(ctx) {
        const { user } = caller(ctx.req);
        const body = asObject(await ctx.body());
        const toUserId = requireString(body, "to_user_id", { max: 128 });
        const text = requireString(body, "text", { min: 1, max: 500 });
        if (!store.user(toUserId)) throw notFound("no such user");
        const messageId = randomId("m_", 12);
        push.appendClientEvent({
          userId: toUserId,
          eventType: CHAT_MESSAGE_EVENT_TYPE,
          payload: { message_id: messageId, from_user_id: user.user_id, text, sent_at_ms: store.now() },
        });
        return { body: { delivered: true, message_id: messageId } };
      },
    },
    {
      method: "POST",
      path: "/api/v1/user/game/fleets",
      async handler(ctx) {
        const { user } = caller(ctx.req);
        const body = asObject(await ctx.body());
        const fromPlanet = requireString(body, "from_planet", { max: 64 });
        const toPlanet = requireString(body, "to_planet", { max: 64 });
        const ships = body["ships"];
        if (typeof ships !== "number" || !Number.isSafeInteger(ships) || ships < 1) {
          throw invalidRequest(`"ships" must be a positive integer`);
        }
        const result = user.game.dispatch(fromPlanet, toPlanet, ships, store.now());
        if (!result.ok) throw new HttpError(422, result.code, result.message);
        return { body: { ...result.fleet, ships_remaining: result.ships_remaining } };
      },
    },
  ];
}

export function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return typeof value === "string" && value !== "" ? value : undefined;
}
