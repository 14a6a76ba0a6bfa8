import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import http from "node:http";
import http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { answerFailure } from "../../src/gateway/http/http-json.js";
import { createStaticConsole, READ_CHUNK_BYTES, type StaticConsoleOptions } from "../../src/gateway/http/static-console.js";
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
  writeFileSync(path.join(dir, "assets", "app.js.map"), '{"version":3}');
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

describe("source maps", () => {
  it("are not served by default: 404 naming the flag", async () => {
    for (const target of ["/assets/app.js.map", "/assets/APP.JS.MAP", "/assets/missing.js.map"]) {
      const r = await call(s, target);
      expectError(r, 404, "not_found");
      expect(r.json.error.message).toContain("--console-sourcemaps");
    }
  });

  it("are served with the option", async () => {
    const server = await serveConsole(path.join(base, "console"), { sourcemaps: true });
    try {
      const res = await fetch(`${server.url}/assets/app.js.map`);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toBe("application/json");
      expect(await res.text()).toBe('{"version":3}');
    } finally {
      await server.close();
    }
  });
});

/** createStaticConsole alone on a real server speaking HTTP/1.1 or HTTP/2 (cleartext, prior knowledge). */
async function serveConsole(dir: string, options: StaticConsoleOptions, protocol: "h1" | "h2" = "h1") {
  const handle = createStaticConsole(dir, options);
  const onRequest = (req: http.IncomingMessage | http2.Http2ServerRequest, res: http.ServerResponse | http2.Http2ServerResponse) =>
    void handle(req, res, new URL(req.url ?? "/", "http://x").pathname).catch((err: unknown) => answerFailure(req, res, err));
  const server = protocol === "h1" ? http.createServer(onRequest) : http2.createServer(onRequest);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe.each([
  ["from the shared copy in memory", {}],
  ["from disk (a console larger than the cache)", { cacheBytes: 0 }],
] as const)("large files are sent in slices, %s", (_how, sending: StaticConsoleOptions) => {
  const size = 40 * READ_CHUNK_BYTES + 123; // many chunks, the last one partial
  let dir: string;
  let content: Buffer;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), "gw-console-big-"));
    content = randomBytes(size);
    writeFileSync(path.join(dir, "big.bin"), content);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("HTTP/1.1: byte for byte, with its content-length; HEAD: the length, no body", async () => {
    const server = await serveConsole(dir, sending);
    try {
      const res = await fetch(`${server.url}/big.bin`);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-length")).toBe(String(size));
      expect(Buffer.from(await res.arrayBuffer()).equals(content)).toBe(true);
      const head = await fetch(`${server.url}/big.bin`, { method: "HEAD" });
      expect(head.headers.get("content-length")).toBe(String(size));
      expect((await head.arrayBuffer()).byteLength).toBe(0);
    } finally {
      await server.close();
    }
  });

  it("HTTP/2: byte for byte, with its content-length", async () => {
    const server = await serveConsole(dir, sending, "h2");
    const session = http2.connect(server.url);
    try {
      const stream = session.request({ ":path": "/big.bin" });
      const chunks: Buffer[] = [];
      const [headers] = await Promise.all([
        new Promise<http2.IncomingHttpHeaders>((resolve) => stream.once("response", resolve)),
        new Promise<void>((resolve, reject) => {
          stream.on("data", (c: Buffer) => chunks.push(c));
          stream.once("end", resolve);
          stream.once("error", reject);
        }),
      ]);
      expect(headers[":status"]).toBe(200);
      expect(headers["content-length"]).toBe(String(size));
      expect(Buffer.concat(chunks).equals(content)).toBe(true);
    } finally {
      session.destroy();
      await server.close();
    }
  });
});

/** GET over HTTP/1.1: status, retry-after, body. */
async function getFile(url: string) {
  const res = await fetch(url);
  return { status: res.status, retryAfter: res.headers.get("retry-after"), body: Buffer.from(await res.arrayBuffer()) };
}

describe("files in memory (one copy per gateway), checked against the disk on every request", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), "gw-console-cache-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("a file rebuilt while the gateway runs is served as it is now (other size; same size, other mtime)", async () => {
    const file = path.join(dir, "app.js");
    writeFileSync(file, "version one");
    const server = await serveConsole(dir, {});
    try {
      expect((await getFile(`${server.url}/app.js`)).body.toString()).toBe("version one");
      writeFileSync(file, "version two, longer");
      expect((await getFile(`${server.url}/app.js`)).body.toString()).toBe("version two, longer");
      writeFileSync(file, "version 3!!, longer");
      utimesSync(file, new Date(2_000_000_000_000), new Date(2_000_000_000_000));
      expect((await getFile(`${server.url}/app.js`)).body.toString()).toBe("version 3!!, longer");
    } finally {
      await server.close();
    }
  });

  it("copies of files gone in a rebuild make room; a live file that does not fit is not cached (here: no file may be opened, so 503)", async () => {
    const size = 100 * 1024;
    const server = await serveConsole(dir, { cacheBytes: size, maxOpenFiles: 0 });
    try {
      writeFileSync(path.join(dir, "index-aaaa.js"), Buffer.alloc(size, "a"));
      expect((await getFile(`${server.url}/index-aaaa.js`)).status).toBe(200); // from memory
      rmSync(path.join(dir, "index-aaaa.js")); // the rebuild names its script anew
      writeFileSync(path.join(dir, "index-bbbb.js"), Buffer.alloc(size, "b"));
      const rebuilt = await getFile(`${server.url}/index-bbbb.js`);
      expect(rebuilt.status).toBe(200);
      expect(rebuilt.body.equals(Buffer.alloc(size, "b"))).toBe(true);
      writeFileSync(path.join(dir, "other.js"), Buffer.alloc(size, "c")); // the cache is full of live files
      const refused = await getFile(`${server.url}/other.js`);
      expect(refused.status).toBe(503);
      expect(refused.retryAfter).toBe("1");
      expect(JSON.parse(refused.body.toString()).error.code).toBe("rate_limited");
    } finally {
      await server.close();
    }
  });

  it("files streamed from disk: at most maxOpenFiles at once (clients that do not read hold them); then 503", async () => {
    const big = path.join(dir, "big-for-disk.bin");
    writeFileSync(big, randomBytes(40 * READ_CHUNK_BYTES));
    const server = await serveConsole(dir, { cacheBytes: 0, maxOpenFiles: 2 }, "h2");
    const session = http2.connect(server.url, { settings: { initialWindowSize: 0 } });
    session.on("error", () => {});
    const status = () =>
      new Promise<unknown>((resolve) => {
        const stream = session.request({ ":path": "/big-for-disk.bin" });
        stream.on("error", () => {});
        stream.once("response", (h) => resolve(h[":status"]));
      });
    try {
      expect(await status()).toBe(200);
      expect(await status()).toBe(200);
      expect(await status()).toBe(503);
    } finally {
      session.destroy();
      await server.close();
    }
  });
});
