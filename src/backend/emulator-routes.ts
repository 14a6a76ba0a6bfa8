// Emulator-only endpoints (PROTOCOL.md §7) that the gateway's control plane forwards to, plus
// /healthz. Never part of a real backend.
import type { ConfirmEmailCodeResponse, MailboxMessage } from "../shared/protocol.js";
import { MAX_STATE_DOCUMENT_BYTES } from "../shared/protocol.js";
import { requireClientPublicKey, requireEmail } from "./auth-routes.js";
import { asObject, invalidRequest, optionalString, requireString, type JsonObject } from "./http-json.js";
import { STATE_VERSION, type PersistedState } from "./persistence.js";
import type { PushLog, SessionInvalidationInit } from "./push-log.js";
import { checkSnapshot, SnapshotError } from "./snapshot-check.js";
import type { Route } from "./router.js";
import type { MockStore } from "./store.js";

/** The whole state as persistence.ts saves it, and its wholesale replacement (state import). */
export interface Snapshots {
  take(): PersistedState;
  /** Called with a snapshot checkSnapshot accepted; cannot fail half-way. */
  replace(snapshot: PersistedState): void;
}

/** `resetAlso`: what else a reset clears (the stubs, their scenarios and pending pushes). */
export function emulatorRoutes(store: MockStore, push: PushLog, snapshots: Snapshots, resetAlso: () => void = () => {}): Route[] {
  return [
    {
      method: "GET",
      path: "/healthz",
      // The counts feed the console's Overview (through the gateway's /emulator/v1/status).
      handler: () => ({ body: { status: "ok", ...store.counts() } }),
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
      method: "GET",
      path: "/emulator/v1/state",
      handler: () => ({ body: snapshots.take() }),
    },
    {
      // Checked whole before anything changes; then applied in one synchronous step (no request can
      // see half of it) and persisted before the answer like every change (router.ts).
      method: "PUT",
      path: "/emulator/v1/state",
      maxBodyBytes: MAX_STATE_DOCUMENT_BYTES,
      async handler(ctx) {
        let snapshot: PersistedState;
        try {
          snapshot = checkSnapshot(await ctx.body(), STATE_VERSION);
        } catch (err) {
          if (err instanceof SnapshotError) throw invalidRequest(err.message);
          throw err;
        }
        snapshots.replace(snapshot);
        return { body: {} };
      },
    },
    {
      // A device session without the e-mail round trip (test seeding): the user of this e-mail,
      // created on first use, gets a new active session for the key.
      method: "POST",
      path: "/emulator/v1/sessions",
      async handler(ctx) {
        const body = asObject(await ctx.body());
        const email = requireEmail(body);
        const clientPublicKey = requireClientPublicKey(body);
        const user = store.userForEmail(email);
        const session = store.createSession(user.user_id, clientPublicKey);
        const reply: ConfirmEmailCodeResponse = { user_id: user.user_id, device_session_id: session.device_session_id };
        return { body: reply };
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

function injectInvalidation(store: MockStore, push: PushLog, fields: JsonObject) {
  const userId = requireString(fields, "user_id", { max: 128 });
  const deviceSessionId = optionalString(fields, "device_session_id", { min: 0, max: 128 }) || undefined;
  const reason = requireString(fields, "reason", { max: 128 });
  return revokeAndAnnounce(store, push, { userId, deviceSessionId, reason });
}

/** Pushes the invalidation and, like a real backend would, revokes the session(s) it names (also a replayed recording's). */
export function revokeAndAnnounce(store: MockStore, push: PushLog, init: SessionInvalidationInit) {
  store.revokeSessions(init.userId, init.deviceSessionId);
  return push.appendSessionInvalidation(init);
}
