// The emulator-only endpoints (mailbox, push injection, reset) and /healthz.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAILBOX_CAPACITY, MockStore } from "../../src/backend/store.js";
import { toBase64Url } from "../../src/shared/bytes.js";
import { publicKeyFromSeed } from "../../src/shared/ed25519.js";
import { CHALLENGE_TTL_MS } from "../../src/shared/protocol.js";
import type { MockBackend } from "../../src/backend/server.js";
import { call, expectError, openPush, payloadOf, signIn, startTestBackend } from "./helpers.js";

let backend: MockBackend;
let base: string;
let clock = 1_800_000_000_000;

beforeAll(async () => {
  backend = await startTestBackend({ now: () => clock });
  base = backend.url;
});
afterAll(() => backend.close());

const SEND = "/api/v1/public/auth/send-email-code";
const TEST_PUBLIC_KEY = toBase64Url(publicKeyFromSeed(new Uint8Array(32).fill(7)));

describe("healthz", () => {
  it("answers ok, with the users and active sessions it knows (the console's Overview shows them)", async () => {
    const reply = await call(base, "GET", "/healthz");
    expect(reply.status).toBe(200);
    expect(reply.json).toEqual({ status: "ok", users: expect.any(Number), sessions: expect.any(Number) });
  });
});

describe("mailbox", () => {
  it("lists sent codes newest last, filtered by normalized email", async () => {
    await call(base, "POST", "/emulator/v1/reset");
    const a1 = await call(base, "POST", SEND, { email: "mail-a@example.com" });
    clock += 1;
    const b1 = await call(base, "POST", SEND, { email: "mail-b@example.com" });
    clock += 1;
    const a2 = await call(base, "POST", SEND, { email: "mail-a@example.com" });

    const all = await call(base, "GET", "/emulator/v1/mailbox");
    expect(all.status).toBe(200);
    expect(all.json.messages.map((m: { challenge_id: string }) => m.challenge_id)).toEqual([
      a1.json.challenge_id,
      b1.json.challenge_id,
      a2.json.challenge_id,
    ]);
    expect(all.json.messages[2]).toEqual({
      email: "mail-a@example.com",
      code: expect.stringMatching(/^[0-9]{6}$/),
      challenge_id: a2.json.challenge_id,
      sent_at_ms: clock,
      used: false,
      expired: false,
    });

    const onlyA = await call(base, "GET", `/emulator/v1/mailbox?email=${encodeURIComponent(" MAIL-A@example.com")}`);
    expect(onlyA.json.messages.map((m: { challenge_id: string }) => m.challenge_id)).toEqual([a1.json.challenge_id, a2.json.challenge_id]);
    expect((await call(base, "GET", "/emulator/v1/mailbox?email=nobody@example.com")).json).toEqual({ messages: [] });
  });

  it("each message carries its challenge's state (used, expired), so every browser sees the same", async () => {
    await call(base, "POST", "/emulator/v1/reset");
    const stateOf = async (challengeId: string) => {
      const { messages } = (await call(base, "GET", "/emulator/v1/mailbox")).json as { messages: { challenge_id: string; code: string; used: boolean; expired: boolean }[] };
      const m = messages.find((x) => x.challenge_id === challengeId)!;
      return { code: m.code, state: { used: m.used, expired: m.expired } };
    };
    const used = (await call(base, "POST", SEND, { email: "state@example.com" })).json.challenge_id as string;
    const { code, state } = await stateOf(used);
    expect(state).toEqual({ used: false, expired: false });
    const confirmed = await call(base, "POST", "/api/v1/public/auth/confirm-email-code", {
      challenge_id: used,
      code,
      client_public_key: TEST_PUBLIC_KEY,
    });
    expect(confirmed.status).toBe(200);
    expect((await stateOf(used)).state).toEqual({ used: true, expired: false });

    const late = (await call(base, "POST", SEND, { email: "state@example.com" })).json.challenge_id as string;
    clock += CHALLENGE_TTL_MS;
    expect((await stateOf(late)).state).toEqual({ used: false, expired: true });
    expect((await stateOf(used)).state).toEqual({ used: true, expired: false });
  });

  it(`keeps only the ${MAILBOX_CAPACITY} newest messages`, () => {
    const store = new MockStore(() => 0);
    for (let i = 0; i < MAILBOX_CAPACITY + 3; i++) {
      store.deliverMail({ email: `cap-${i}@example.com`, code: "000000", challenge_id: `ch_${i}`, sent_at_ms: i });
    }
    const messages = store.mail();
    expect(messages).toHaveLength(MAILBOX_CAPACITY);
    expect(messages[0]!.challenge_id).toBe("ch_3");
    expect(messages.at(-1)!.challenge_id).toBe(`ch_${MAILBOX_CAPACITY + 2}`);
  });
});

describe("push injection", () => {
  it("injects a client event and answers its event id", async () => {
    const push = openPush(base, "0");
    try {
      const reply = await call(base, "POST", "/emulator/v1/push", {
        client_event: { user_id: "u_target", device_session_id: "ds_one", event_type: "game.tick", payload: { turn: 7 } },
      });
      expect(reply.status).toBe(200);
      expect(reply.json.event_id).toMatch(/^[0-9]+$/);
      const [event] = (await push.readUntil((e) => e.eventId === reply.json.event_id)).slice(-1);
      expect(event!.kind.value).toMatchObject({ userId: "u_target", deviceSessionId: "ds_one", eventType: "game.tick" });
      expect(payloadOf(event!)).toEqual({ turn: 7 });
    } finally {
      push.close();
    }
  });

  it("injects a session invalidation and revokes the named session, or all of the user's", async () => {
    const one = await signIn(base, "inject@example.com");
    const two = await signIn(base, "inject@example.com");
    const three = await signIn(base, "inject@example.com");
    const status = async (id: string) => (await call(base, "GET", `/api/v1/internal/sessions/${id}`)).json.status;
    const push = openPush(base, "0");
    try {
      const single = await call(base, "POST", "/emulator/v1/push", {
        session_invalidation: { user_id: one.userId, device_session_id: one.deviceSessionId, reason: "admin_kick" },
      });
      expect(single.status).toBe(200);
      const [event] = (await push.readUntil((e) => e.eventId === single.json.event_id)).slice(-1);
      expect(event!.kind.case).toBe("sessionInvalidation");
      expect(event!.kind.value).toMatchObject({ userId: one.userId, deviceSessionId: one.deviceSessionId, reason: "admin_kick" });
      expect([await status(one.deviceSessionId), await status(two.deviceSessionId)]).toEqual(["revoked", "active"]);

      const all = await call(base, "POST", "/emulator/v1/push", { session_invalidation: { user_id: one.userId, reason: "banned" } });
      expect(all.status).toBe(200);
      const [allEvent] = (await push.readUntil((e) => e.eventId === all.json.event_id)).slice(-1);
      expect(allEvent!.kind.value).toMatchObject({ userId: one.userId, deviceSessionId: "", reason: "banned" });
      expect([await status(two.deviceSessionId), await status(three.deviceSessionId)]).toEqual(["revoked", "revoked"]);
    } finally {
      push.close();
    }
  });

  it("rejects malformed injections with 400 invalid_request", async () => {
    const bad = [
      {},
      { client_event: { user_id: "u", event_type: "t" }, session_invalidation: { user_id: "u", reason: "r" } },
      { client_event: "nope" },
      { client_event: { event_type: "t" } },
      { client_event: { user_id: "u" } },
      { client_event: { user_id: "u", event_type: "t", payload: "text" } },
      { client_event: { user_id: "u", event_type: "t", device_session_id: 5 } },
      { session_invalidation: { user_id: "u" } },
      { session_invalidation: { reason: "r" } },
      [],
    ];
    for (const body of bad) expectError(await call(base, "POST", "/emulator/v1/push", body), 400, "invalid_request");
  });
});

describe("reset", () => {
  it("clears users, sessions, challenges and the mailbox", async () => {
    const user = await signIn(base, "reset@example.com");
    const pending = await call(base, "POST", SEND, { email: "reset@example.com" });
    const reply = await call(base, "POST", "/emulator/v1/reset");
    expect(reply.status).toBe(200);
    expect(reply.json).toEqual({});

    expect((await call(base, "GET", "/emulator/v1/mailbox")).json.messages).toEqual([]);
    expectError(await call(base, "GET", `/api/v1/internal/sessions/${user.deviceSessionId}`), 404, "not_found");
    expectError(await call(base, "GET", "/api/v1/user/profile", undefined, user.headers), 401, "unauthenticated");
    const confirm = await call(base, "POST", "/api/v1/public/auth/confirm-email-code", {
      challenge_id: pending.json.challenge_id,
      code: "123456",
      client_public_key: user.publicKey,
    });
    expectError(confirm, 400, "invalid_request");

    const again = await signIn(base, "reset@example.com");
    expect(again.userId).not.toBe(user.userId);
  });
});
