import { afterEach, describe, expect, it } from "vitest";
import { Journal } from "../../src/gateway/journal.js";
import { checkControlAccess } from "../../src/gateway/http/rest-surface.js";
import { toBase64Url } from "../../src/shared/bytes.js";
import type { JournalEntry } from "../../src/shared/protocol.js";
import { call, expectError, postJson, startSurface, type Surface } from "./harness.js";

const entry = (request_id: string): Omit<JournalEntry, "seq"> => ({
  at_ms: 1,
  rpc: "ExecuteCommand",
  protocol: "connect",
  device_session_id: "ds_1",
  request_id,
  message_type: "user.profile.get",
  stages: [{ stage: "envelope", ok: true, ms: 0 }],
  code: "ok",
  result_code: "ok",
});

/** A Journal that tells the test when a long-poll is parked in it (and with which abort signal). */
class ObservedJournal extends Journal {
  private parked: ((signal: AbortSignal | undefined) => void) | undefined;
  nextWait(): Promise<AbortSignal | undefined> {
    return new Promise((resolve) => (this.parked = resolve));
  }
  override waitAfter(after: number, waitMs: number, signal?: AbortSignal, limit?: number): Promise<JournalEntry[]> {
    const result = super.waitAfter(after, waitMs, signal, limit); // registers its waiter synchronously
    this.parked?.(signal);
    this.parked = undefined;
    return result;
  }
}

let s: Surface | undefined;
afterEach(async () => {
  await s?.close();
  s = undefined;
});

describe("access rules", () => {
  it("no token: loopback callers are served", async () => {
    s = await startSurface();
    const r = await call(s, "/emulator/v1/config");
    expect(r.status).toBe(200);
    expect(r.headers["access-control-allow-origin"]).toBeUndefined();
  });

  it("no token: a non-loopback peer → 403 (access check called directly)", () => {
    const base = { authorization: undefined, origin: undefined, host: "127.0.0.1:8787" };
    expect(checkControlAccess({ ...base, remoteAddress: "192.0.2.7" }, undefined)).toMatchObject({ ok: false, status: 403, code: "forbidden" });
    expect(checkControlAccess({ ...base, remoteAddress: "::ffff:10.1.2.3" }, undefined)).toMatchObject({ ok: false, status: 403 });
    expect(checkControlAccess({ ...base, remoteAddress: undefined }, undefined)).toMatchObject({ ok: false, status: 403 });
    expect(checkControlAccess({ ...base, remoteAddress: "::ffff:127.0.0.1" }, undefined)).toEqual({ ok: true });
    expect(checkControlAccess({ ...base, remoteAddress: "::1" }, undefined)).toEqual({ ok: true });
    // an empty token counts as none: still loopback-only
    expect(checkControlAccess({ ...base, remoteAddress: "192.0.2.7", authorization: "Bearer " }, "")).toMatchObject({ ok: false, status: 403 });
  });

  it("token: required from any address, compared exactly", () => {
    const base = { origin: undefined, host: "gw.example:8787" };
    expect(checkControlAccess({ ...base, remoteAddress: "192.0.2.7", authorization: "Bearer s3cret" }, "s3cret")).toEqual({ ok: true });
    expect(checkControlAccess({ ...base, remoteAddress: "127.0.0.1", authorization: undefined }, "s3cret")).toMatchObject({ status: 401, code: "unauthorized" });
    expect(checkControlAccess({ ...base, remoteAddress: "127.0.0.1", authorization: "Bearer s3cre" }, "s3cret")).toMatchObject({ status: 401 });
    expect(checkControlAccess({ ...base, remoteAddress: "127.0.0.1", authorization: "Basic s3cret" }, "s3cret")).toMatchObject({ status: 401 });
  });

  it("token over the wire: 401 without / with a wrong token, 200 with it", async () => {
    s = await startSurface({ accessToken: "s3cret-token" });
    expectError(await call(s, "/emulator/v1/config"), 401, "unauthorized");
    expectError(await call(s, "/emulator/v1/config", { headers: { authorization: "Bearer nope" } }), 401, "unauthorized");
    expectError(await call(s, "/emulator/v1/nothing-here"), 401, "unauthorized"); // access before routing
    const ok = await call(s, "/emulator/v1/config", { headers: { authorization: "bearer s3cret-token" } });
    expect(ok.status).toBe(200);
  });

  it("Origin: a foreign origin → 403, the gateway's own origin passes", async () => {
    s = await startSurface();
    const foreign = await call(s, "/emulator/v1/config", { headers: { origin: "http://evil.example" } });
    expectError(foreign, 403, "forbidden");
    expect(foreign.headers["access-control-allow-origin"]).toBeUndefined();
    expectError(await call(s, "/emulator/v1/reset", { method: "POST", headers: { origin: "null" } }), 403, "forbidden");
    expect(s.resets.count).toBe(0);
    const own = await call(s, "/emulator/v1/config", { headers: { origin: `http://127.0.0.1:${s.port}` } });
    expect(own.status).toBe(200);
    const t = await startSurface({ accessToken: "tok" });
    try {
      const r = await call(t, "/emulator/v1/config", { headers: { authorization: "Bearer tok", origin: "http://evil.example" } });
      expectError(r, 403, "forbidden");
    } finally {
      await t.close();
    }
  });

  it("no token: a non-loopback Host (DNS rebinding) → 403 even when Origin matches it", async () => {
    s = await startSurface();
    const host = `rebound.example:${s.port}`;
    expectError(await call(s, "/emulator/v1/config", { headers: { host, origin: `http://${host}` } }), 403, "forbidden");
    expect((await call(s, "/emulator/v1/config", { headers: { host: `localhost:${s.port}` } })).status).toBe(200);
  });
});

describe("endpoints", () => {
  it("unknown → 404 not_found, wrong method → 405 with Allow", async () => {
    s = await startSurface();
    expectError(await call(s, "/emulator/v1/nope"), 404, "not_found");
    expectError(await call(s, "/emulator/v2/config"), 404, "not_found");
    expectError(await call(s, "/emulator/v1/constructor"), 404, "not_found");
    const r = await call(s, "/emulator/v1/config", { method: "DELETE" });
    expectError(r, 405, "method_not_allowed");
    expect(r.headers.allow).toBe("GET, PATCH");
    expectError(await call(s, "/emulator/v1/reset"), 405, "method_not_allowed");
  });

  it("mailbox and push are forwarded to the mock backend", async () => {
    s = await startSurface();
    const mail = await call(s, "/emulator/v1/mailbox?email=a%2Bb%40example.com");
    expect(mail.status).toBe(200);
    expect(mail.json.messages[0].email).toBe("a+b@example.com");
    expect(s.backend.calls[0]).toMatchObject({ method: "GET", path: "/emulator/v1/mailbox", query: "email=a%2Bb%40example.com" });
    const push = await postJson(s, "/emulator/v1/push", { client_event: { user_id: "u_1", event_type: "x", payload: {} } });
    expect(push.status).toBe(200);
    expect(push.json).toEqual({ event_id: "ev_1" });
    expect(JSON.parse(s.backend.calls[1]!.body)).toEqual({ client_event: { user_id: "u_1", event_type: "x", payload: {} } });
    expectError(await call(s, "/emulator/v1/push", { method: "POST", body: "{}" }), 415, "unsupported_media_type");
  });

  it("a real backend (404) → 501 unsupported_by_backend; a dead one → 503", async () => {
    s = await startSurface();
    s.backend.mode = "404";
    expectError(await call(s, "/emulator/v1/mailbox"), 501, "unsupported_by_backend");
    expectError(await postJson(s, "/emulator/v1/push", { client_event: {} }), 501, "unsupported_by_backend");
    s.backend.mode = "html";
    expectError(await call(s, "/emulator/v1/mailbox"), 502, "backend_unavailable");
    await s.backend.close();
    expectError(await call(s, "/emulator/v1/mailbox"), 503, "backend_unavailable");
  });

  it("status: any HTTP answer from the backend's /healthz is reachable (a real backend's 404 too); a dead backend is not, with the reason", async () => {
    s = await startSurface();
    const up = await call(s, "/emulator/v1/status");
    expect(up.status).toBe(200);
    expect(up.json).toMatchObject({ backend: s.config.get().backend, backend_health: { reachable: true, http_status: 404 } }); // the fake has no /healthz
    expect(s.backend.calls.at(-1)).toMatchObject({ method: "GET", path: "/healthz" });
    await s.backend.close();
    const down = await call(s, "/emulator/v1/status");
    expect(down.status).toBe(200);
    expect(down.json).toMatchObject({ backend: s.config.get().backend, backend_health: { reachable: false } });
    expect(down.json.backend_health.error).toMatch(/.+/);
    expectError(await call(s, "/emulator/v1/status", { method: "POST", body: "{}" }), 405, "method_not_allowed");
  });

  it("stubs and scenarios on a real backend (404) → 501; stubs/{id} takes one path segment", async () => {
    s = await startSurface();
    s.backend.mode = "404";
    expectError(await postJson(s, "/emulator/v1/stubs", [{ message_type: "x" }]), 501, "unsupported_by_backend");
    expectError(await call(s, "/emulator/v1/stubs"), 501, "unsupported_by_backend");
    expectError(await call(s, "/emulator/v1/stubs", { method: "DELETE" }), 501, "unsupported_by_backend");
    expectError(await call(s, "/emulator/v1/stubs/shop-1"), 501, "unsupported_by_backend");
    expectError(await call(s, "/emulator/v1/stubs/shop-1", { method: "DELETE" }), 501, "unsupported_by_backend");
    expectError(await call(s, "/emulator/v1/scenarios"), 501, "unsupported_by_backend");
    expectError(await postJson(s, "/emulator/v1/scenarios/reset", {}), 501, "unsupported_by_backend");
    expect(s.backend.calls.map((c) => `${c.method} ${c.path}`)).toContain("DELETE /emulator/v1/stubs/shop-1");
    expectError(await call(s, "/emulator/v1/stubs/a/b"), 404, "not_found");
    expectError(await call(s, "/emulator/v1/stubs/shop-1", { method: "POST", body: "{}" }), 405, "method_not_allowed");
  });

  it("reset: local reset, then the backend's; a real backend's 404 is fine", async () => {
    s = await startSurface();
    s.journal.append(entry("r1"));
    const r = await call(s, "/emulator/v1/reset", { method: "POST" });
    expect(r.status).toBe(200);
    expect(r.json).toEqual({});
    expect(s.resets.count).toBe(1);
    expect(s.journal.size).toBe(0);
    expect(s.backend.calls.at(-1)).toMatchObject({ method: "POST", path: "/emulator/v1/reset" });
    s.backend.mode = "404";
    expect((await call(s, "/emulator/v1/reset", { method: "POST" })).status).toBe(200);
    expect(s.resets.count).toBe(2);
    await s.backend.close();
    expectError(await call(s, "/emulator/v1/reset", { method: "POST" }), 503, "backend_unavailable");
    expect(s.resets.count).toBe(3);
  });

  it("journal: entries after a seq; bad numbers → 400", async () => {
    s = await startSurface();
    s.journal.append(entry("a"));
    s.journal.append(entry("b"));
    const all = await call(s, "/emulator/v1/journal");
    expect(all.json.entries.map((e: JournalEntry) => e.request_id)).toEqual(["a", "b"]);
    const after = await call(s, "/emulator/v1/journal?after=1");
    expect(after.json.entries.map((e: JournalEntry) => [e.seq, e.request_id])).toEqual([[2, "b"]]);
    for (const q of ["after=-1", "after=x", "after=1.5", "wait_ms=30001", "wait_ms=-5", "wait_ms=abc"]) {
      expectError(await call(s, `/emulator/v1/journal?${q}`), 400, "invalid_request");
    }
  });

  it("journal long-poll returns when an entry is appended", async () => {
    const journal = new ObservedJournal();
    s = await startSurface({ journal });
    s.journal.append(entry("old"));
    const parked = journal.nextWait();
    const pending = call(s, "/emulator/v1/journal?after=1&wait_ms=30000");
    await parked;
    s.journal.append(entry("new"));
    const r = await pending;
    expect(r.status).toBe(200);
    expect(r.json.entries.map((e: JournalEntry) => e.request_id)).toEqual(["new"]);
  });

  it("journal long-poll is aborted when the client disconnects", async () => {
    const journal = new ObservedJournal();
    s = await startSurface({ journal });
    const parked = journal.nextWait();
    let clientReq: import("node:http").ClientRequest | undefined;
    const pending = call(s, "/emulator/v1/journal?wait_ms=30000", { onRequest: (r) => (clientReq = r) });
    const signal = await parked;
    expect(signal?.aborted).toBe(false);
    const aborted = new Promise<void>((resolve) => signal!.addEventListener("abort", () => resolve()));
    clientReq!.destroy();
    await expect(pending).rejects.toThrow();
    await aborted;
    expect(signal!.aborted).toBe(true);
  });

  it("config: GET, PATCH, invalid PATCH → 400 with the ConfigError message, 415, 413", async () => {
    s = await startSurface();
    const got = await call(s, "/emulator/v1/config");
    expect(got.json).toEqual(s.config.get());
    const patched = await call(s, "/emulator/v1/config", {
      method: "PATCH",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ freshness_window_ms: 5000, rate_limits: { per_ip: { rate_per_s: 1, burst: 2 } } }),
    });
    expect(patched.status).toBe(200);
    expect(patched.json.freshness_window_ms).toBe(5000);
    expect(patched.json.rate_limits.per_ip).toEqual({ rate_per_s: 1, burst: 2 });
    expect(s.config.get().freshness_window_ms).toBe(5000);
    const info = await call(s, "/api/v1/public/gateway/info");
    expect(info.json.freshness_window_ms).toBe(5000);

    const bad = await call(s, "/emulator/v1/config", {
      method: "PATCH",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ freshness_window_ms: -1 }),
    });
    expectError(bad, 400, "invalid_request");
    expect(bad.json.error.message).toContain("freshness_window_ms");
    expect(s.config.get().freshness_window_ms).toBe(5000);
    expectError(await call(s, "/emulator/v1/config", { method: "PATCH", body: "{}" }), 415, "unsupported_media_type");
    expectError(
      await call(s, "/emulator/v1/config", {
        method: "PATCH",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ routes: { x: { method: "GET", path: "p", example: "y".repeat(70_000) } } }),
      }),
      413,
      "payload_too_large",
    );
  });

  it("gateway key rotation shows in the info endpoint", async () => {
    s = await startSurface();
    const before = (await call(s, "/api/v1/public/gateway/info")).json.response_signing_public_key;
    const r = await call(s, "/emulator/v1/gateway-key/rotate", { method: "POST" });
    expect(r.status).toBe(200);
    expect(r.json.response_signing_public_key).toBe(toBase64Url(s.key.current));
    expect(r.json.response_signing_public_key).not.toBe(before);
    expect((await call(s, "/api/v1/public/gateway/info")).json.response_signing_public_key).toBe(r.json.response_signing_public_key);
  });
});
