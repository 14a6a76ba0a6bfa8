// The /api/v1/user/... routes of PROTOCOL.md §4, called as the gateway calls them.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { MockBackend } from "../../src/backend/server.js";
import { FLIGHT_TIME_MS, STARTING_SHIPS } from "../../src/backend/fleet-game.js";
import { call, expectError, identityHeaders, openPush, payloadOf, signIn, startTestBackend, type SignedIn } from "./helpers.js";

let backend: MockBackend;
let base: string;
let clock = 1_800_000_000_000;

beforeAll(async () => {
  backend = await startTestBackend({ now: () => clock });
  base = backend.url;
});
afterAll(() => backend.close());

describe("identity headers", () => {
  it("answers 401 unauthenticated without a known user or with someone else's session", async () => {
    const alice = await signIn(base, "id-alice@example.com");
    const bob = await signIn(base, "id-bob@example.com");
    expectError(await call(base, "GET", "/api/v1/user/profile"), 401, "unauthenticated");
    expectError(await call(base, "GET", "/api/v1/user/profile", undefined, identityHeaders("u_nobody", alice.deviceSessionId)), 401, "unauthenticated");
    expectError(await call(base, "GET", "/api/v1/user/profile", undefined, identityHeaders(alice.userId, bob.deviceSessionId)), 401, "unauthenticated");
    expectError(await call(base, "POST", "/api/v1/user/game/chat", { to_user_id: bob.userId, text: "hi" }), 401, "unauthenticated");
  });
});

describe("profile", () => {
  it("reads and updates the profile", async () => {
    const me = await signIn(base, "Profile@Example.com");
    const got = await call(base, "GET", "/api/v1/user/profile?", undefined, me.headers);
    expect(got.status).toBe(200);
    expect(got.json).toEqual({ user_id: me.userId, email: "profile@example.com", display_name: "profile", created_at_ms: clock });

    const patched = await call(base, "PATCH", "/api/v1/user/profile", { display_name: "Captain 🚀" }, me.headers);
    expect(patched.status).toBe(200);
    expect(patched.json.display_name).toBe("Captain 🚀");
    expect((await call(base, "GET", "/api/v1/user/profile", undefined, me.headers)).json.display_name).toBe("Captain 🚀");

    expect((await call(base, "PATCH", "/api/v1/user/profile", { display_name: "x".repeat(64) }, me.headers)).status).toBe(200);
    for (const display_name of ["", "   ", "x".repeat(65), 7, null]) {
      expectError(await call(base, "PATCH", "/api/v1/user/profile", { display_name }, me.headers), 400, "invalid_request");
    }
  });
});

describe("sessions", () => {
  let first: SignedIn;
  let second: SignedIn;
  let third: SignedIn;

  beforeAll(async () => {
    first = await signIn(base, "sessions@example.com");
    second = await signIn(base, "sessions@example.com");
    third = await signIn(base, "sessions@example.com");
  });

  it("lists the caller's sessions and marks the current one", async () => {
    const listed = await call(base, "GET", "/api/v1/user/sessions", undefined, second.headers);
    expect(listed.status).toBe(200);
    expect(listed.json.sessions).toEqual(
      [first, second, third].map((s) => ({
        device_session_id: s.deviceSessionId,
        status: "active",
        created_at_ms: clock,
        current: s === second,
      })),
    );
  });

  it("revokes one session, pushing a SessionInvalidation, and 404s for sessions not the caller's", async () => {
    const stranger = await signIn(base, "stranger@example.com");
    const push = openPush(base, "0");
    try {
      const revoked = await call(base, "POST", "/api/v1/user/sessions/revoke", { device_session_id: first.deviceSessionId }, second.headers);
      expect(revoked.status).toBe(200);
      expect(revoked.json).toEqual({ revoked: [first.deviceSessionId] });

      const [event] = (await push.readUntil((e) => e.kind.case === "sessionInvalidation")).slice(-1);
      expect(event!.kind.case).toBe("sessionInvalidation");
      expect(event!.kind.value).toMatchObject({ userId: first.userId, deviceSessionId: first.deviceSessionId, reason: "revoked_by_user" });

      const looked = await call(base, "GET", `/api/v1/internal/sessions/${first.deviceSessionId}`);
      expect(looked.json.status).toBe("revoked");

      const foreign = await call(base, "POST", "/api/v1/user/sessions/revoke", { device_session_id: stranger.deviceSessionId }, second.headers);
      expectError(foreign, 404, "not_found");
      expectError(await call(base, "POST", "/api/v1/user/sessions/revoke", { device_session_id: "ds_none" }, second.headers), 404, "not_found");
      expectError(await call(base, "POST", "/api/v1/user/sessions/revoke", { device_session_id: 3 }, second.headers), 400, "invalid_request");
      expect((await call(base, "GET", `/api/v1/internal/sessions/${stranger.deviceSessionId}`)).json.status).toBe("active");
    } finally {
      push.close();
    }
  });

  it("revokes all of the caller's still-active sessions with {}", async () => {
    const push = openPush(base, "0");
    try {
      const revoked = await call(base, "POST", "/api/v1/user/sessions/revoke", {}, third.headers);
      expect(revoked.status).toBe(200);
      expect(revoked.json.revoked.sort()).toEqual([second.deviceSessionId, third.deviceSessionId].sort());

      const invalidated = new Set<string>();
      await push.readUntil((e) => {
        if (e.kind.case === "sessionInvalidation" && e.kind.value.reason === "revoked_by_user") {
          invalidated.add(e.kind.value.deviceSessionId);
        }
        return invalidated.size === 3; // first (previous test), second, third
      });
      expect(invalidated).toEqual(new Set([first.deviceSessionId, second.deviceSessionId, third.deviceSessionId]));

      const listed = await call(base, "GET", "/api/v1/user/sessions", undefined, third.headers);
      expect(listed.json.sessions.map((s: { status: string }) => s.status)).toEqual(["revoked", "revoked", "revoked"]);
      expect((await call(base, "POST", "/api/v1/user/sessions/revoke", {}, third.headers)).json).toEqual({ revoked: [] });
    } finally {
      push.close();
    }
  });
});

describe("game.chat", () => {
  it("pushes game.chat.message to all of the recipient's sessions", async () => {
    const sender = await signIn(base, "chat-sender@example.com");
    const recipient = await signIn(base, "chat-recipient@example.com");
    const push = openPush(base, "0");
    try {
      const sent = await call(base, "POST", "/api/v1/user/game/chat", { to_user_id: recipient.userId, text: "hello there" }, sender.headers);
      expect(sent.status).toBe(200);
      expect(sent.json).toEqual({ delivered: true, message_id: expect.stringMatching(/^m_/) });

      const [event] = (await push.readUntil((e) => e.kind.case === "clientEvent" && e.kind.value.eventType === "game.chat.message")).slice(-1);
      expect(event!.kind.value).toMatchObject({ userId: recipient.userId, deviceSessionId: "", eventType: "game.chat.message" });
      expect(payloadOf(event!)).toEqual({ message_id: sent.json.message_id, from_user_id: sender.userId, text: "hello there", sent_at_ms: clock });
    } finally {
      push.close();
    }
  });

  it("answers 404 for an unknown recipient and 400 for bad text", async () => {
    const sender = await signIn(base, "chat-sender2@example.com");
    const reply = await call(base, "POST", "/api/v1/user/game/chat", { to_user_id: "u_ghost", text: "boo" }, sender.headers);
    expectError(reply, 404, "not_found");
    expect(reply.json.error.message).toBe("no such user");
    for (const text of ["", "x".repeat(501), 12]) {
      expectError(await call(base, "POST", "/api/v1/user/game/chat", { to_user_id: sender.userId, text }, sender.headers), 400, "invalid_request");
    }
    expect((await call(base, "POST", "/api/v1/user/game/chat", { to_user_id: sender.userId, text: "x".repeat(500) }, sender.headers)).status).toBe(200);
  });
});

describe("game.fleet", () => {
  const FLEETS = "/api/v1/user/game/fleets";

  it("dispatches fleets from the starting 100 ships at earth", async () => {
    const me = await signIn(base, "admiral@example.com");
    const sent = await call(base, "POST", FLEETS, { from_planet: "earth", to_planet: "mars", ships: 30 }, me.headers);
    expect(sent.status).toBe(200);
    expect(sent.json).toEqual({
      fleet_id: expect.stringMatching(/^f_/),
      from_planet: "earth",
      to_planet: "mars",
      ships: 30,
      arrives_at_ms: clock + FLIGHT_TIME_MS,
      ships_remaining: STARTING_SHIPS - 30,
    });
    const rest = await call(base, "POST", FLEETS, { from_planet: "earth", to_planet: "venus", ships: 70 }, me.headers);
    expect(rest.json.ships_remaining).toBe(0);
  });

  it("answers business errors with 422 and bad shapes with 400", async () => {
    const me = await signIn(base, "cadet@example.com");
    const dispatch = (body: unknown) => call(base, "POST", FLEETS, body, me.headers);
    expectError(await dispatch({ from_planet: "earth", to_planet: "mars", ships: STARTING_SHIPS + 1 }), 422, "insufficient_ships");
    expectError(await dispatch({ from_planet: "mars", to_planet: "earth", ships: 1 }), 422, "insufficient_ships");
    expectError(await dispatch({ from_planet: "earth", to_planet: "earth", ships: 1 }), 422, "same_planet");
    for (const body of [
      { from_planet: "earth", to_planet: "mars" },
      { from_planet: "earth", to_planet: "mars", ships: 0 },
      { from_planet: "earth", to_planet: "mars", ships: -3 },
      { from_planet: "earth", to_planet: "mars", ships: 1.5 },
      { from_planet: "earth", to_planet: "mars", ships: "3" },
      { from_planet: "", to_planet: "mars", ships: 3 },
      { from_planet: "earth", to_planet: 4, ships: 3 },
    ]) {
      expectError(await dispatch(body), 400, "invalid_request");
    }
  });

  it("lands fleets after the flight time so their ships can fly again", async () => {
    const me = await signIn(base, "pilot@example.com");
    const dispatch = (body: unknown) => call(base, "POST", FLEETS, body, me.headers);
    expect((await dispatch({ from_planet: "earth", to_planet: "mars", ships: 40 })).status).toBe(200);
    expectError(await dispatch({ from_planet: "mars", to_planet: "earth", ships: 1 }), 422, "insufficient_ships");
    clock += FLIGHT_TIME_MS;
    const back = await dispatch({ from_planet: "mars", to_planet: "earth", ships: 40 });
    expect(back.status).toBe(200);
    expect(back.json.ships_remaining).toBe(0);
  });
});
