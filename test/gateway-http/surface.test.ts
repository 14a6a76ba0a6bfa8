import http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { createBackendRestClient } from "../../src/gateway/backend/rest-client.js";
import { LiveConfig } from "../../src/gateway/config.js";
import { Journal } from "../../src/gateway/journal.js";
import { FaultSet } from "../../src/gateway/faults/fault-set.js";
import { createRestSurface, isRpcPath } from "../../src/gateway/http/rest-surface.js";
import { toBase64Url } from "../../src/shared/bytes.js";
import { call, expectError, newPublicKey, startFakeBackend, startSurface, VALID_KEY, type Surface } from "./harness.js";

let s: Surface | undefined;
afterEach(async () => {
  await s?.close();
  s = undefined;
});

describe("healthz and gateway info", () => {
  it("healthz: 200 ok when ready, 503 starting otherwise", async () => {
    s = await startSurface();
    const ok = await call(s, "/healthz");
    expect(ok.status).toBe(200);
    expect(ok.json).toEqual({ status: "ok" });
    s.ready.value = false;
    const starting = await call(s, "/healthz");
    expect(starting.status).toBe(503);
    expect(starting.json).toEqual({ status: "starting" });
    expectError(await call(s, "/healthz", { method: "POST" }), 405, "method_not_allowed");
  });

  it("gateway info", async () => {
    s = await startSurface();
    const r = await call(s, "/api/v1/public/gateway/info");
    expect(r.status).toBe(200);
    expect(r.json).toEqual({
      protocol_versions: [1],
      response_signing_public_key: toBase64Url(s.key.current),
      freshness_window_ms: 60_000,
      server_time_ms: s.clock.ms,
    });
    expect(r.json.response_signing_public_key).not.toMatch(/[=+/]/);
  });

  it("RPC path classification", () => {
    expect(isRpcPath("/galaxy.gateway.v1.EdgeGateway/ExecuteCommand")).toBe(true);
    expect(isRpcPath("/galaxy.anything")).toBe(true);
    expect(isRpcPath("/assets/app.js")).toBe(false);
    expect(isRpcPath("/favicon.ico")).toBe(false);
    expect(isRpcPath("/api/v1/public/gateway/info")).toBe(false);
  });
});

describe("HTTP/2 (compat API)", () => {
  it("serves healthz, public auth and an oversize refusal over h2c", async () => {
    const backend = await startFakeBackend();
    const client = createBackendRestClient(() => backend.url);
    const handler = createRestSurface({
      config: new LiveConfig(),
      backend: client,
      journal: new Journal(),
      faults: new FaultSet(),
      gatewayPublicKey: newPublicKey,
      rotateGatewayKey: async () => newPublicKey(),
      now: () => 0,
      isReady: () => true,
      resetLocal: () => {},
    });
    const server = http2.createServer((req, res) => {
      if (!handler(req, res)) {
        res.statusCode = 404;
        res.end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const session = http2.connect(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    const request = (headers: http2.OutgoingHttpHeaders, body?: string) =>
      new Promise<{ status: number; text: string }>((resolve, reject) => {
        const stream = session.request(headers);
        let status = 0;
        const chunks: Buffer[] = [];
        stream.on("response", (h) => (status = Number(h[":status"])));
        stream.on("data", (c: Buffer) => chunks.push(c));
        stream.on("end", () => resolve({ status, text: Buffer.concat(chunks).toString() }));
        stream.on("error", reject);
        stream.end(body);
      });
    try {
      expect(await request({ ":path": "/healthz" })).toEqual({ status: 200, text: '{"status":"ok"}' });
      const confirm = await request(
        { ":method": "POST", ":path": "/api/v1/public/auth/confirm-email-code", "content-type": "application/json" },
        JSON.stringify({ challenge_id: "ch_1", code: "123456", client_public_key: VALID_KEY }),
      );
      expect(confirm.status).toBe(200);
      expect(JSON.parse(confirm.text)).toEqual({ device_session_id: "ds_1", user_id: "u_1" });
      const big = await request(
        { ":method": "POST", ":path": "/api/v1/public/auth/send-email-code", "content-type": "application/json" },
        "x".repeat(5000),
      );
      expect(big.status).toBe(413);
      expect(JSON.parse(big.text).error.code).toBe("payload_too_large");
      expect((await request({ ":path": "/galaxy.gateway.v1.EdgeGateway/ExecuteCommand" })).status).toBe(404);
    } finally {
      session.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      client.close();
      await backend.close();
    }
  });
});
