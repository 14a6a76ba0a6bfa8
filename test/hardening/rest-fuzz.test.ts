// Hostile input on the plain-HTTP surface, property-tested on real sockets: random paths, methods,
// headers and bodies over HTTP/1.1 and h2, random public-auth bodies, and raw garbage on a socket.
// Every answer must come within REQUEST_DEADLINE_MS, never be a 5xx (the mock backend is healthy),
// and on /api/ and /emulator/ be a JSON error with a documented code.
import net from "node:net";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningEmulator } from "../../src/emulator/start.js";
import { toBase64Url } from "../../src/shared/bytes.js";
import { generateSeed, publicKeyFromSeed } from "../../src/shared/ed25519.js";
import { edgeClient, signIn, startTestEmulator } from "../support/emulator.js";
import { executeCommandRequest } from "../../src/shared/sdk.js";
import { h1Request, h2Request, portOf, REQUEST_DEADLINE_MS, type RawReply } from "./support.js";

/** Every code the REST surface documents (PROTOCOL.md §3 + the control plane + routing). */
const REST_CODES = new Set([
  "invalid_request",
  "invalid_code",
  "challenge_expired",
  "payload_too_large",
  "unsupported_media_type",
  "rate_limited",
  "too_many_attempts",
  "not_found",
  "method_not_allowed",
  "unauthorized",
  "forbidden",
  "unsupported_by_backend",
]);

let emulator: RunningEmulator;
let port: number;

beforeAll(async () => {
  emulator = await startTestEmulator();
  port = portOf(emulator.url);
});
afterAll(() => emulator.close());

function expectDocumentedRest(reply: RawReply, path: string, method: string, what: string): void {
  const detail = `${what}: HTTP ${reply.status} ${reply.body.subarray(0, 200).toString("latin1")}`;
  expect(reply.status >= 100 && reply.status < 500, detail).toBe(true);
  const jsonSurface = path.startsWith("/api/") || path.startsWith("/emulator/") || path === "/healthz";
  if (!jsonSurface || method === "HEAD" || reply.status < 400) return;
  let parsed: { error?: { code?: unknown; message?: unknown } };
  try {
    parsed = JSON.parse(reply.body.toString("utf8"));
  } catch {
    if (reply.status === 431 || reply.status === 400) return; // the HTTP layer's own answers: no body
    throw new Error(`not JSON: ${detail}`);
  }
  expect(REST_CODES.has(String(parsed.error?.code)), detail).toBe(true);
  expect(typeof parsed.error?.message, detail).toBe("string");
}

/** Path segments: known ones, traversal attempts, percent-encodings, unicode, junk. */
const segment = fc.oneof(
  fc.constantFrom("api", "v1", "public", "auth", "send-email-code", "confirm-email-code", "gateway", "info", "emulator", "mailbox", "push", "journal", "config", "reset", "gateway-key", "rotate", "healthz", "index.html"),
  fc.constantFrom("..", ".", "%2e%2e", "%2F", "%00", "%", "%zz", "..%2f..%2fetc%2fpasswd", "~", "", "a;b", "%C0%AE"),
  fc.string({ maxLength: 12 }).map(encodeURIComponent),
  fc.string({ unit: "grapheme", maxLength: 6 }).map(encodeURIComponent),
);
const pathArb = fc.tuple(
  fc.constantFrom("/api/v1/public/auth/", "/api/v1/public/", "/emulator/v1/", "/emulator/", "/api/", "/", "//"),
  fc.array(segment, { maxLength: 4 }),
  fc.option(fc.string({ maxLength: 30 }).map((q) => "?" + q.replace(/[\s#]/g, "")), { nil: "" }),
).map(([prefix, segs, query]) => prefix + segs.join("/") + query);

const methodArb = fc.oneof(
  fc.constantFrom("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"),
  fc.stringMatching(/^[A-Z]{1,10}$/),
);

const headerName = fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/).filter((n) => !["host", "content-length", "transfer-encoding", "connection", "upgrade", "keep-alive", "te", "expect", "http2-settings", "proxy-connection"].includes(n));
const headersArb = fc.dictionary(
  fc.oneof(headerName, fc.constantFrom("content-type", "authorization", "origin", "accept", "content-encoding", "x-forwarded-for", "cookie")),
  fc.oneof(fc.stringMatching(/^[\x20-\x7e]{0,60}$/).map((v) => v.trim()), fc.constantFrom("application/json", "application/json; charset=latin1", "Bearer x", "null", "http://evil.example", "gzip")),
  { maxKeys: 5 },
);
const bodyArb = fc.oneof(
  fc.constant(undefined),
  fc.uint8Array({ maxLength: 2048 }),
  fc.json({ maxDepth: 3 }),
  fc.uint8Array({ minLength: 4097, maxLength: 70_000 }),
);

describe("random requests to the REST surface", () => {
  it("random paths, methods, headers and bodies over HTTP/1.1 and h2: documented answers only", async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom("h1" as const, "h2" as const), methodArb, pathArb, headersArb, bodyArb, async (http, method, path, headers, body) => {
        if (path.startsWith("/emulator/v1/reset")) return; // would wipe the sessions the other tests use
        // Bodies with GET/HEAD are legal but the h2 client refuses to send one for HEAD.
        const payload = method === "HEAD" ? undefined : body;
        const init = { method, path, headers, body: payload };
        const reply = http === "h1" ? await h1Request(port, init) : await h2Request(port, init);
        expectDocumentedRest(reply, path, method, `${http} ${method} ${path} ${JSON.stringify(headers)}`);
      }),
      { numRuns: 200 },
    );
  });

  const field = fc.oneof(
    fc.string({ maxLength: 80 }),
    fc.integer(),
    fc.constant(null),
    fc.boolean(),
    fc.array(fc.string(), { maxLength: 2 }),
    fc.constantFrom("a@b.co", " Pilot@Example.COM ", "ch_1", "123456", "000000", toBase64Url(publicKeyFromSeed(generateSeed())), "AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
  );
  const authBody = fc.dictionary(fc.constantFrom("email", "challenge_id", "code", "client_public_key", "extra", "__proto__"), field, { maxKeys: 5 });

  it("random public-auth bodies: 200 or a documented 4xx from the anti-abuse layer / backend", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom("/api/v1/public/auth/send-email-code", "/api/v1/public/auth/confirm-email-code"),
        authBody,
        fc.constantFrom("application/json", "application/json; charset=utf-8", "text/plain", "application/x-www-form-urlencoded"),
        async (path, body, contentType) => {
          const reply = await h1Request(port, { path, headers: { "content-type": contentType }, body: JSON.stringify(body) });
          expectDocumentedRest(reply, path, "POST", `${path} ${JSON.stringify(body)}`);
        },
      ),
      { numRuns: 150 },
    );
  });

  it("raw garbage on a socket is answered (400) or dropped, never held open, never a crash", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.uint8Array({ minLength: 1, maxLength: 512 }),
          fc.tuple(methodArb, fc.string({ maxLength: 40 }), fc.string({ maxLength: 200 })).map(
            ([m, target, rest]) => Buffer.from(`${m} ${target} HTTP/1.1\r\n${rest}\r\n\r\n`, "latin1"),
          ),
        ),
        async (bytes) => {
          if (Buffer.from(bytes).subarray(0, 3).toString("latin1") === "PRI") return; // an h2 preface prefix: the sniff test covers it
          const received = await new Promise<string>((resolve, reject) => {
            const socket = net.connect(port, "127.0.0.1");
            const chunks: Buffer[] = [];
            const deadline = setTimeout(() => {
              socket.destroy();
              reject(new Error(`garbage left unanswered: ${JSON.stringify(Buffer.from(bytes).toString("latin1").slice(0, 80))}`));
            }, REQUEST_DEADLINE_MS);
            socket.on("data", (c: Buffer) => chunks.push(c));
            socket.on("error", () => {});
            socket.on("close", () => {
              clearTimeout(deadline);
              resolve(Buffer.concat(chunks).toString("latin1"));
            });
            // Half-close after the garbage: an incomplete request is then answered or dropped at once.
            socket.end(bytes);
          });
          expect(received === "" || /^HTTP\/1\.1 [1-4]\d\d /.test(received), received.slice(0, 120)).toBe(true);
        },
      ),
      { numRuns: 100 },
    );
  });

  it("after all that the gateway still signs people in and serves calls", async () => {
    const health = await h1Request(port, { method: "GET", path: "/healthz" });
    expect(health.status).toBe(200);
    const device = await signIn(emulator.url);
    const res = await edgeClient(emulator.url).executeCommand(executeCommandRequest(device, { messageType: "user.profile.get", payload: {} }), {
      signal: AbortSignal.timeout(REQUEST_DEADLINE_MS),
    });
    expect(res.envelope?.resultCode).toBe("ok");
  });
});
