// Emulator-only endpoints (PROTOCOL.md §7) that the gateway's control plane forwards to, plus
// /healthz. Never part of a real backend.
import type { MailboxMessage } from "../shared/protocol.js";
import { asObject, invalidRequest, optionalString, requireString, type JsonObject } from "./http-json.js";
import type { PushLog } from "./push-log.js";
import type { Route } from "./router.js";
import type { MockStore } from "./store.js";

/** `resetAlso`: what else a reset clears (the stubs, their scenarios and pending pushes). */
export function emulatorRoutes(store: MockStore, push: PushLog, resetAlso: () => void = () => {}): Route[] {
  return [
    {
      method: "GET",
      path: "/healthz",
      handler: () => ({ body: { status: "ok" } }),
    },
    {
      method: "GET",
      path: "/emulator/v1/mailbox",
      handler(ctx) {
        const email = ctx.url.searchParams.get("email");
        const messages: MailboxMessage[] = store.mail(email ?? undefined);
        return { body: { messages } };
      },
    },
    {
      method: "POST",
      path: "/emulator/v1/push",
      async handler(ctx) {
        const body = asObject(await ctx.body());
        const hasEvent = body["client_event"] !== undefined;
        const hasInvalidation = body["session_invalidation"] !== undefined;
        if (hasEvent === hasInvalidation) {
          throw invalidRequest(`exactly one of "client_event" and "session_invalidation" is required`);
        }
        const event = hasEvent
          ? injectClientEvent(push, asObject(body["client_event"], `"client_event"`))
          : injectInvalidation(store, push, asObject(body["session_invalidation"], `"session_invalidation"`));
        return { body: { event_id: event.eventId } };
      },
    },
    {
      method: "POST",
      path: "/emulator/v1/reset",
      async handler(ctx) {
        asObject(await ctx.body());
        // The push log survives on purpose: event ids must never be reused, and a gateway that
        // resumes after a reset still gets what it missed.
        store.reset();
        resetAlso();
        return { body: {} };
      },
    },
  ];
}

function injectClientEvent(push: PushLog, fields: JsonObject) {
  const payload = asObject(fields["payload"] ?? {}, `"payload"`);
  return push.appendClientEvent({
    userId: requireString(fields, "user_id", { max: 128 }),
    deviceSessionId: optionalString(fields, "device_session_id", { min: 0, max: 128 }),
    eventType: requireString(fields, "event_type", { max: 128 }),
    payload,
  });
}

/** Pushes the invalidation and, like a real backend would, revokes the session(s) it names. */
function injectInvalidation(store: MockStore, push: PushLog, fields: JsonObject) {
  const userId = requireString(fields, "user_id", { max: 128 });
  const deviceSessionId = optionalString(fields, "device_session_id", { min: 0, max: 128 }) || undefined;
  const reason = requireString(fields, "reason", { max: 128 });
  store.revokeSessions(userId, deviceSessionId);
  return push.appendSessionInvalidation({ userId, deviceSessionId, reason });
}
