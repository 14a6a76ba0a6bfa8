import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CONSOLE_CSP } from "../../src/shared/console-csp.js";
import { call, expectError, raw, startSurface, statusOf, type Surface } from "./harness.js";

const SECRET = "TOP-SECRET-OUTSIDE-CONSOLE";
let base: string;
let s: Surface;

beforeAll(async () => {
  base = mkdtempSync(path.join(tmpdir(), "gw-console-"));
  const dir = path.join(base, "console");
  mkdirSync(path.join(dir, "assets"), { recursive: true });
  writeFileSync(path.join(dir, "index.html"), "<!doctype html><title>console</title>");
  writeFileSync(path.join(dir, "assets", "app.js"), "console.log(1)");
  writeFileSync(path.join(dir, "assets", "app.css"), "body{}");
  writeFileSync(path.join(dir, "logo.svg"), "<svg/>");
  writeFileSync(path.join(dir, ".env"), SECRET);
  writeFileSync(path.join(base, "package.json"), JSON.stringify({ secret: SECRET }));
  writeFileSync(path.join(base, "secret.txt"), SECRET);
  symlinkSync(path.join(base, "secret.txt"), path.join(dir, "link.txt"));
  symlinkSync(base, path.join(dir, "up"));
  s = await startSurface({ consoleDir: dir });
});

afterAll(async () => {
  await s.close();
  rmSync(base, { recursive: true, force: true });
});

describe("static console", () => {
  it("serves index.html at / with nosniff and the strict CSP", async () => {
    const r = await call(s, "/");
    expect(r.status).toBe(200);
    expect(r.text).toContain("<title>console</title>");
    expect(r.headers["content-type"]).toBe("text/html; charset=utf-8");
    expect(r.headers["x-content-type-options"]).toBe("nosniff");
    expect(r.headers["content-security-policy"]).toBe(CONSOLE_CSP);
    expect(CONSOLE_CSP).toBe(
      "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'",
    );
  });

  it("serves assets with their content types", async () => {
    const js = await call(s, "/assets/app.js?v=1");
    expect(js.status).toBe(200);
    expect(js.headers["content-type"]).toBe("text/javascript; charset=utf-8");
    expect(js.headers["x-content-type-options"]).toBe("nosniff");
    expect((await call(s, "/assets/app.css")).headers["content-type"]).toBe("text/css; charset=utf-8");
    expect((await call(s, "/logo.svg")).headers["content-type"]).toBe("image/svg+xml");
    const head = await call(s, "/assets/app.js", { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(head.text).toBe("");
  });

  it("SPA fallback for extension-less paths; 404 for missing files with an extension", async () => {
    const r = await call(s, "/devices/ds_1/inspector");
    expect(r.status).toBe(200);
    expect(r.text).toContain("<title>console</title>");
    expect(r.headers["content-security-policy"]).toBe(CONSOLE_CSP);
    expectError(await call(s, "/assets/missing.js"), 404, "not_found");
  });

  it("only GET and HEAD", async () => {
    const r = await call(s, "/", { method: "POST" });
    expectError(r, 405, "method_not_allowed");
    expect(r.headers.allow).toBe("GET, HEAD");
  });

  it.each([
    "/../package.json",
    "/../secret.txt",
    "/assets/../../secret.txt",
    "/%2e%2e/package.json",
    "/%2E%2E/secret.txt",
    "/..%2fsecret.txt",
    "/%2e%2e%2fpackage.json",
    "/assets/..%2f..%2fsecret.txt",
    "/..%5csecret.txt",
    "/%252e%252e/secret.txt",
    "/secret.txt%00.html",
    "/%00",
    "/.env",
    "/%2eenv",
    "/link.txt",
    "/up/secret.txt",
    "/up/package.json",
    "//../secret.txt",
    "/%c0%ae%c0%ae/secret.txt",
  ])("never leaks a file outside the console: %s", async (target) => {
    const res = await raw(s.port, `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
    expect(res).not.toContain(SECRET);
    expect([200, 400, 404]).toContain(statusOf(res));
    if (statusOf(res) === 200) expect(res).toContain("<title>console</title>"); // only ever the SPA index
  });

  it("RPC paths fall through to the next handler", async () => {
    const r = await call(s, "/galaxy.gateway.v1.EdgeGateway/ExecuteCommand", { method: "POST" });
    expect(r.status).toBe(404);
    expect(r.text).toBe("fallthrough");
    expect((await call(s, "/grpc.health.v1.Health/Check", { method: "POST" })).text).toBe("fallthrough");
  });

  it("unknown /api/ paths are a JSON 404, not the console", async () => {
    expectError(await call(s, "/api/v1/nope"), 404, "not_found");
  });
});

describe("without a console directory", () => {
  it("/ answers 404 JSON with a hint to build", async () => {
    const t = await startSurface();
    try {
      const r = await call(t, "/");
      expectError(r, 404, "not_found");
      expect(r.json.error.message).toContain("npm run build");
    } finally {
      await t.close();
    }
  });
});
