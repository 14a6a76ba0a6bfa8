// The mock backend's access guard (src/backend/access-guard.ts), with a token the test knows: 401
// without the right X-Galaxy-Backend-Token, 403 for anything a browser sends (Origin, Sec-Fetch-Site)
// and for a non-loopback Host (DNS rebinding) even with the right token.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startMockBackend, type MockBackend } from "../../src/backend/server.js";
import { BACKEND_TOKEN_HEADER } from "../../src/node/backend-token.js";
import { expectError, rawRequest, startTestBackend, TEST_BACKEND_TOKEN } from "./helpers.js";

describe("mock backend access guard", () => {
  let backend: MockBackend;
  let port: string;
  beforeAll(async () => {
    backend = await startTestBackend();
    port = new URL(backend.url).port;
  });
  afterAll(() => backend.close());

  const get = (headers: Record<string, string>, token?: false) => rawRequest(backend.url, { method: "GET", path: "/emulator/v1/mailbox", headers, token });

  it("answers the right token on a loopback Host (every spelling of loopback)", async () => {
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, "127.0.0.2", `[::1]:${port}`, "app.localhost"]) {
      const reply = await get({ host });
      expect({ host, status: reply.status }).toEqual({ host, status: 200 });
    }
  });

  it("401 unauthorized without the token, with a wrong one of the same or another length, and with an empty one", async () => {
    const wrongSameLength = TEST_BACKEND_TOKEN.replace(/.$/, (c) => (c === "x" ? "y" : "x"));
    const replies = [await get({}, false)];
    for (const token of [wrongSameLength, `${TEST_BACKEND_TOKEN}x`, TEST_BACKEND_TOKEN.slice(0, -1), ""]) replies.push(await get({ [BACKEND_TOKEN_HEADER]: token }));
    for (const reply of replies) {
      expectError(reply, 401, "unauthorized");
      expect(reply.json.error.message).toContain(BACKEND_TOKEN_HEADER);
      expect(reply.headers.connection).toBe("close");
    }
  });

  it("403 forbidden, even with the right token, for an Origin, a Sec-Fetch-Site or a non-loopback Host", async () => {
    const cases: Record<string, string>[] = [
      { origin: "http://evil.example" },
      { origin: "null" },
      { origin: backend.url }, // the gateway never sends Origin: not even the mock's own is a reason
      { "sec-fetch-site": "same-origin" },
      { host: `evil.example:${port}` },
      { host: "127.0.0.1.evil.example" },
      { host: "192.168.1.10" },
    ];
    for (const headers of cases) {
      const reply = await get(headers);
      expect({ headers, status: reply.status, code: reply.json?.error?.code }).toEqual({ headers, status: 403, code: "forbidden" });
    }
  });

  it("refuses a short or blank token at start", async () => {
    await expect(startMockBackend({ token: "short" })).rejects.toThrow(/backend token must be 16\.\.256 characters/);
    await expect(startMockBackend({ token: " ".repeat(20) })).rejects.toThrow(/visible ASCII/);
  });
});

describe("a mock bound to a non-loopback address on purpose", () => {
  it("serves any Host name (callers use the address's names); the token still guards", async () => {
    const backend = await startTestBackend({ host: "0.0.0.0" });
    try {
      const base = `http://127.0.0.1:${new URL(backend.url).port}`;
      const ok = await rawRequest(base, { method: "GET", path: "/healthz", headers: { host: "backend.lan" } });
      expect(ok.status).toBe(200);
      const noToken = await rawRequest(base, { method: "GET", path: "/healthz", headers: { host: "backend.lan" }, token: false });
      expectError(noToken, 401, "unauthorized");
      const page = await rawRequest(base, { method: "GET", path: "/healthz", headers: { origin: "http://backend.lan" } });
      expectError(page, 403, "forbidden");
    } finally {
      await backend.close();
    }
  });
});
