// Transport-level refusals of the REST surface: unknown paths, wrong methods, content types,
// malformed and oversized bodies. Each answers the documented status and JSON error code.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAX_BODY_BYTES } from "../../src/backend/http-json.js";
import type { MockBackend } from "../../src/backend/server.js";
import { call, expectError, rawRequest, startTestBackend, TOKEN_HEADERS } from "./helpers.js";

let backend: MockBackend;
let base: string;

beforeAll(async () => {
  backend = await startTestBackend();
  base = backend.url;
});
afterAll(() => backend.close());

const SEND = "/api/v1/public/auth/send-email-code";

describe("routing", () => {
  it("answers unknown paths with 404 not_found", async () => {
    for (const path of ["/", "/nope", "/api/v1/user", "/api/v1/internal/sessions/", "/healthz/extra", "/emulator/v1/journal", "//healthz"]) {
      expectError(await call(base, "GET", path), 404, "not_found");
    }
  });

  it("answers wrong methods with 405 method_not_allowed and an Allow header", async () => {
    const reply = await call(base, "GET", SEND);
    expectError(reply, 405, "method_not_allowed");
    expect(reply.headers.get("allow")).toBe("POST");
    expectError(await call(base, "DELETE", "/api/v1/user/profile"), 405, "method_not_allowed");
    expect((await call(base, "DELETE", "/api/v1/user/profile")).headers.get("allow")).toBe("GET, PATCH");
    expectError(await call(base, "POST", "/healthz", {}), 405, "method_not_allowed");
  });

  it("routes unknown Push methods to Connect, which answers 404", async () => {
    const res = await fetch(`${base}/galaxy.backend.v1.Push/Nope`, { method: "POST", headers: { ...TOKEN_HEADERS, "content-type": "application/json" }, body: "{}" });
    expect(res.status).toBe(404);
    await res.body?.cancel();
  });
});

describe("bodies", () => {
  it("answers malformed JSON with 400 invalid_request", async () => {
    for (const body of ["{", "{\"email\":}", "nul", "\u00ff"]) {
      const reply = await rawRequest(base, { method: "POST", path: SEND, headers: { "content-type": "application/json" }, chunks: [body] });
      expect({ status: reply.status, code: reply.json.error.code }).toEqual({ status: 400, code: "invalid_request" });
    }
    const invalidUtf8 = Buffer.from([0x7b, 0x22, 0xc3, 0x28, 0x22, 0x7d]);
    const reply = await rawRequest(base, { method: "POST", path: SEND, headers: { "content-type": "application/json" }, chunks: [invalidUtf8] });
    expect(reply.json.error.code).toBe("invalid_request");
  });

  it("answers non-JSON content types with 415 unsupported_media_type", async () => {
    for (const type of ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"]) {
      const reply = await rawRequest(base, { method: "POST", path: SEND, headers: { "content-type": type }, chunks: ['{"email":"a@b.c"}'] });
      expect({ status: reply.status, code: reply.json.error.code }).toEqual({ status: 415, code: "unsupported_media_type" });
    }
    // The rule the gateway's surface applies too (src/node/http-json.ts): plain application/json, UTF-8.
    for (const type of ["application/json; charset=latin1", "application/merge-patch+json", "text/json"]) {
      const reply = await rawRequest(base, { method: "POST", path: SEND, headers: { "content-type": type }, chunks: ['{"email":"a@b.c"}'] });
      expect({ type, status: reply.status, code: reply.json.error.code }).toEqual({ type, status: 415, code: "unsupported_media_type" });
    }
    const missing = await rawRequest(base, { method: "POST", path: SEND, chunks: ['{"email":"a@b.c"}'] });
    expect(missing.status).toBe(415);
    const withCharset = await rawRequest(base, {
      method: "POST",
      path: SEND,
      headers: { "content-type": "Application/JSON; charset=utf-8" },
      chunks: ['{"email":"a@b.c"}'],
    });
    expect(withCharset.status).toBe(200);
    // Answers as the gateway's: application/json without a charset (RFC 8259 defines none), nosniff.
    expect(withCharset.headers["content-type"]).toBe("application/json");
    expect(withCharset.headers["x-content-type-options"]).toBe("nosniff");
  });

  it("refuses a declared oversized body with 413 payload_too_large", async () => {
    const big = Buffer.alloc(MAX_BODY_BYTES + 1, 0x20);
    const reply = await rawRequest(base, { method: "POST", path: SEND, headers: { "content-type": "application/json", "content-length": big.length }, chunks: [big] });
    expect({ status: reply.status, code: reply.json.error.code }).toEqual({ status: 413, code: "payload_too_large" });
  });

  it("refuses a streamed (chunked) oversized body with 413 payload_too_large", async () => {
    const chunk = Buffer.alloc(16 * 1024, 0x20);
    const reply = await rawRequest(base, {
      method: "POST",
      path: SEND,
      headers: { "content-type": "application/json", "transfer-encoding": "chunked" },
      chunks: Array.from({ length: 8 }, () => chunk),
    });
    expect({ status: reply.status, code: reply.json.error.code }).toEqual({ status: 413, code: "payload_too_large" });
  });

  it("accepts a body of exactly the limit", async () => {
    const json = JSON.stringify({ email: "edge@example.com" });
    const body = json + " ".repeat(MAX_BODY_BYTES - json.length);
    const reply = await rawRequest(base, { method: "POST", path: SEND, headers: { "content-type": "application/json" }, chunks: [body] });
    expect(reply.status).toBe(200);
  });

  it("keeps serving after refusals", async () => {
    expect((await call(base, "GET", "/healthz")).status).toBe(200);
  });
});
