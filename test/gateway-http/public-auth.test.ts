import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { toBase64Url } from "../../src/shared/bytes.js";
import { MAX_PUBLIC_BODY_BYTES } from "../../src/shared/protocol.js";
import { defaultConfig } from "../../src/gateway/config.js";

const DEFAULT_PUBLIC_LIMITS = defaultConfig().public_rate_limits;
import { isValidEmail } from "../../src/gateway/http/public-auth.js";
import { call, expectError, postJson, raw, startSurface, statusOf, VALID_KEY, type Surface } from "./harness.js";

const SEND = "/api/v1/public/auth/send-email-code";
const CONFIRM = "/api/v1/public/auth/confirm-email-code";
const confirmBody = (code = "123456", challenge_id = "ch_1") => ({ challenge_id, code, client_public_key: VALID_KEY });

let s: Surface;
beforeEach(async () => {
  s = await startSurface();
});
afterEach(async () => {
  await s.close();
});

describe("forwarding", () => {
  it("send-email-code: 200 from the backend, re-serialised body, only safe headers relayed", async () => {
    const r = await postJson(s, SEND, '{"email":"Pilot@Example.com"}', { "content-type": "application/json; charset=utf-8" });
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ challenge_id: "ch_1" });
    expect(r.headers["x-backend-secret"]).toBeUndefined();
    expect(r.headers["set-cookie"]).toBeUndefined();
    expect(r.headers["content-type"]).toMatch(/^application\/json/);
    expect(s.backend.calls).toHaveLength(1);
    expect(s.backend.calls[0]).toMatchObject({ method: "POST", path: SEND, body: '{"email":"Pilot@Example.com"}' });
  });

  it("confirm-email-code: 200 with the session", async () => {
    const r = await postJson(s, CONFIRM, confirmBody());
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ device_session_id: "ds_1", user_id: "u_1" });
  });

  it("relays the backend's business errors: 401 invalid_code, 410 challenge_expired, 429 too_many_attempts", async () => {
    expectError(await postJson(s, CONFIRM, confirmBody("000000")), 401, "invalid_code");
    expectError(await postJson(s, CONFIRM, confirmBody("111111")), 410, "challenge_expired");
    const dead = await postJson(s, CONFIRM, confirmBody("222222"));
    expectError(dead, 429, "too_many_attempts");
    expect(dead.headers["retry-after"]).toBe("600");
  });
});

describe("backend failures", () => {
  it("refused connection → 503 backend_unavailable", async () => {
    await s.backend.close();
    expectError(await postJson(s, SEND, { email: "a@example.com" }), 503, "backend_unavailable");
  });
  it("backend 5xx → 502 backend_unavailable (its body is not relayed)", async () => {
    s.backend.mode = "500";
    const r = await postJson(s, SEND, { email: "a@example.com" });
    expectError(r, 502, "backend_unavailable");
    expect(r.text).not.toContain("exploded");
  });
  it("backend HTML → 502 backend_unavailable", async () => {
    s.backend.mode = "html";
    expectError(await postJson(s, CONFIRM, confirmBody()), 502, "backend_unavailable");
  });
});

describe("classification and body checks", () => {
  it("other methods → 405 method_not_allowed with Allow", async () => {
    for (const method of ["GET", "PUT", "DELETE"]) {
      const r = await call(s, SEND, { method });
      expectError(r, 405, "method_not_allowed");
      expect(r.headers.allow).toBe("POST");
    }
  });

  it("415 unsupported_media_type for a missing or foreign content type", async () => {
    expectError(await call(s, SEND, { method: "POST", body: '{"email":"a@example.com"}' }), 415, "unsupported_media_type");
    expectError(await postJson(s, SEND, { email: "a@example.com" }, { "content-type": "text/plain" }), 415, "unsupported_media_type");
    expectError(
      await postJson(s, SEND, { email: "a@example.com" }, { "content-type": "application/json; charset=utf-16" }),
      415,
      "unsupported_media_type",
    );
    expect(s.backend.calls).toHaveLength(0);
  });

  it("413 payload_too_large with an honest Content-Length", async () => {
    const big = JSON.stringify({ email: "a@example.com", pad: "x".repeat(MAX_PUBLIC_BODY_BYTES) });
    expectError(await postJson(s, SEND, big), 413, "payload_too_large");
  });

  it("413 when the declared length is huge, before any body is sent", async () => {
    const res = await raw(
      s.port,
      `POST ${SEND} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000000000\r\n\r\n`,
    );
    expect(statusOf(res)).toBe(413);
    expect(res).toContain('"payload_too_large"');
  });

  it("413 for a chunked body without Content-Length, counted while streaming", async () => {
    const chunk = "x".repeat(1024);
    const chunks = Array.from({ length: 6 }, () => `${chunk.length.toString(16)}\r\n${chunk}\r\n`).join("");
    const res = await raw(
      s.port,
      `POST ${SEND} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n${chunks}0\r\n\r\n`,
    );
    expect(statusOf(res)).toBe(413);
    expect(res).toContain('"payload_too_large"');
    expect(res.toLowerCase()).toContain("connection: close");
    expect(s.backend.calls).toHaveLength(0);
  });

  it("a Content-Length lower than the bytes sent bounds the body: never forwarded, never a 500", async () => {
    const body = JSON.stringify({ email: "a@example.com" }) + " ".repeat(8 * 1024);
    const res = await raw(
      s.port,
      `POST ${SEND} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 10\r\nConnection: close\r\n\r\n${body}`,
    );
    // Node's parser takes 10 bytes as the body and refuses the rest as a malformed next request.
    expect(statusOf(res)).toBe(400);
    expect(res).not.toContain(" 500 ");
    expect(s.backend.calls).toHaveLength(0);
  });

  it("400 invalid_request for malformed JSON, non-objects and invalid UTF-8", async () => {
    for (const body of ["{", "[]", "null", '"a@example.com"', "{}x"]) {
      expectError(await postJson(s, SEND, body), 400, "invalid_request");
    }
    const badUtf8 = Buffer.concat([Buffer.from('{"email":"a'), Buffer.from([0xff]), Buffer.from('@example.com"}')]);
    expectError(await call(s, SEND, { method: "POST", headers: { "content-type": "application/json" }, body: badUtf8 }), 400, "invalid_request");
  });

  it.each([
    [SEND, {}, "email"],
    [SEND, { email: 42 }, "email"],
    [SEND, { email: "not-an-email" }, "email"],
    [SEND, { email: "a@b" }, "email"],
    [SEND, { email: `${"a".repeat(64)}@${"b".repeat(63)}.${"c".repeat(63)}.${"d".repeat(63)}.com` }, "email"],
    [SEND, { email: "a@example.com", admin: true }, "admin"],
    [CONFIRM, { ...confirmBody(), code: "12345" }, "code"],
    [CONFIRM, { ...confirmBody(), code: "12345a" }, "code"],
    [CONFIRM, { ...confirmBody(), code: 123456 }, "code"],
    [CONFIRM, { ...confirmBody(), challenge_id: "" }, "challenge_id"],
    [CONFIRM, { ...confirmBody(), challenge_id: "a/b" }, "challenge_id"],
    [CONFIRM, { ...confirmBody(), challenge_id: "c".repeat(129) }, "challenge_id"],
    [CONFIRM, { ...confirmBody(), client_public_key: toBase64Url(new Uint8Array(31).fill(7)) }, "client_public_key"],
    [CONFIRM, { ...confirmBody(), client_public_key: `${VALID_KEY}=` }, "client_public_key"],
    // The identity point: 32 bytes, canonical, but of small order.
    [CONFIRM, { ...confirmBody(), client_public_key: toBase64Url(Uint8Array.from([1, ...new Array<number>(31).fill(0)])) }, "client_public_key"],
    [CONFIRM, { code: "123456", client_public_key: VALID_KEY }, "challenge_id"],
  ])("400 invalid_request naming the field (%s %j)", async (path, body, field) => {
    const r = await postJson(s, path, body);
    expectError(r, 400, "invalid_request");
    expect(r.json.error.message).toContain(field);
    expect(s.backend.calls).toHaveLength(0);
  });

  it("email syntax", () => {
    expect(isValidEmail("pilot@example.com")).toBe(true);
    expect(isValidEmail(" Pilot.One+tag@sub.example.co ")).toBe(true);
    expect(isValidEmail("a@xn--p1ai.xn--p1ai")).toBe(true);
    for (const bad of ["", "@example.com", "a@", "a..b@example.com", ".a@example.com", "a@-x.com", "a@example.123", "a b@example.com", "a@exa mple.com", "\"a\"@example.com", "é@example.com"]) {
      expect(isValidEmail(bad), bad).toBe(false);
    }
    expect(isValidEmail(`${"a".repeat(64)}@example.com`)).toBe(true);
    expect(isValidEmail(`${"a".repeat(65)}@example.com`)).toBe(false);
  });
});

describe("rate limits", () => {
  it("defaults are those of the live config", () => {
    expect(DEFAULT_PUBLIC_LIMITS.per_ip).toEqual({ burst: 20, rate_per_s: 1 });
    expect(DEFAULT_PUBLIC_LIMITS.per_email.burst).toBe(5);
    expect(DEFAULT_PUBLIC_LIMITS.per_email.rate_per_s * 60).toBeCloseTo(1);
    expect(DEFAULT_PUBLIC_LIMITS.per_challenge).toEqual({ burst: 10, rate_per_s: 0.1 });
  });

  it("per IP: the 21st call → 429 rate_limited with Retry-After, before the content-type check; refills with time", async () => {
    for (let i = 0; i < 20; i++) {
      expectError(await call(s, CONFIRM, { method: "POST", headers: { "content-type": "text/plain" }, body: "x" }), 415, "unsupported_media_type");
    }
    const limited = await call(s, CONFIRM, { method: "POST", headers: { "content-type": "text/plain" }, body: "x" });
    expectError(limited, 429, "rate_limited");
    expect(limited.headers["retry-after"]).toBe("1");
    // send and confirm share the per-IP bucket
    expectError(await postJson(s, SEND, { email: "a@example.com" }), 429, "rate_limited");
    s.clock.ms += 1_000;
    expect((await postJson(s, SEND, { email: "a@example.com" })).status).toBe(200);
    expectError(await postJson(s, SEND, { email: "b@example.com" }), 429, "rate_limited");
  });

  it("per IP, after the gateway clock steps back an hour: refused for the step, then refilled at the budget's rate (not locked out for the hour)", async () => {
    for (let i = 0; i < 20; i++) expect((await postJson(s, SEND, { email: `p${i}@example.com` })).status).toBe(200);
    expectError(await postJson(s, SEND, { email: "a@example.com" }), 429, "rate_limited");
    s.clock.ms -= 3_600_000; // clock_offset_ms lowered by an hour
    expectError(await postJson(s, SEND, { email: "a@example.com" }), 429, "rate_limited");
    s.clock.ms += 1_000; // one second of the new clock: one token at 1/s
    expect((await postJson(s, SEND, { email: "a@example.com" })).status).toBe(200);
    expectError(await postJson(s, SEND, { email: "b@example.com" }), 429, "rate_limited");
  });

  it("per normalised email: 5, then 429 whatever the case or whitespace; checked after validation", async () => {
    for (let i = 0; i < 5; i++) expect((await postJson(s, SEND, { email: "pilot@example.com" })).status).toBe(200);
    const limited = await postJson(s, SEND, { email: "  PILOT@Example.COM " });
    expectError(limited, 429, "rate_limited");
    expect(Number(limited.headers["retry-after"])).toBe(60);
    // an invalid body is still a 400 (validation comes before the per-email bucket)
    expectError(await postJson(s, SEND, { email: "pilot@example.com", x: 1 }), 400, "invalid_request");
    expect((await postJson(s, SEND, { email: "other@example.com" })).status).toBe(200);
    expect(s.backend.calls).toHaveLength(6);
  });

  it("per challenge: 10, then 429 with Retry-After 10", async () => {
    for (let i = 0; i < 10; i++) expect((await postJson(s, CONFIRM, confirmBody("123456", "ch_A"))).status).toBe(200);
    const limited = await postJson(s, CONFIRM, confirmBody("123456", "ch_A"));
    expectError(limited, 429, "rate_limited");
    expect(limited.headers["retry-after"]).toBe("10");
    expect((await postJson(s, CONFIRM, confirmBody("123456", "ch_B"))).status).toBe(200);
  });

  it("limits are overridable and cleared by the control-plane reset", async () => {
    const t = await startSurface({ publicLimits: { per_ip: { burst: 1, rate_per_s: 0.001 } } });
    try {
      expect((await postJson(t, SEND, { email: "a@example.com" })).status).toBe(200);
      const limited = await postJson(t, SEND, { email: "a@example.com" });
      expectError(limited, 429, "rate_limited");
      expect(limited.headers["retry-after"]).toBe("1000");
      expect((await call(t, "/emulator/v1/reset", { method: "POST" })).status).toBe(200);
      expect((await postJson(t, SEND, { email: "a@example.com" })).status).toBe(200);
    } finally {
      await t.close();
    }
  });
});
