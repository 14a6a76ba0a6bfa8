// Unit tests of the shared bounded body reader and JSON helpers (src/node/http-json.ts, used by the
// gateway surface and the mock backend) and of src/node/loopback.ts, on fake streams (no sockets needed).
import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import {
  ClientGoneError,
  isJsonContentType,
  parseJsonObject,
  PayloadTooLargeError,
  readBoundedBody,
} from "../../src/node/http-json.js";
import { isLoopbackAddress, isLoopbackHost, normalizeAddress } from "../../src/node/loopback.js";

function fakeRequest(headers: Record<string, string>) {
  return Object.assign(new PassThrough(), { headers });
}

describe("readBoundedBody", () => {
  it("reads a body within the limit", async () => {
    const req = fakeRequest({ "content-length": "5" });
    const body = readBoundedBody(req, 10);
    req.end("hello");
    expect((await body).toString()).toBe("hello");
  });

  it("refuses a declared Content-Length past the limit without reading", async () => {
    const req = fakeRequest({ "content-length": "11" });
    await expect(readBoundedBody(req, 10)).rejects.toBeInstanceOf(PayloadTooLargeError);
    expect(req.listenerCount("data")).toBe(0);
  });

  it("refuses a malformed Content-Length", async () => {
    await expect(readBoundedBody(fakeRequest({ "content-length": "1e3" }), 10)).rejects.toBeInstanceOf(PayloadTooLargeError);
  });

  it("counts while streaming when Content-Length lies, and stops listening at the first byte past the limit", async () => {
    const req = fakeRequest({ "content-length": "3" });
    const body = readBoundedBody(req, 10);
    req.write("123456");
    req.write("789012");
    await expect(body).rejects.toBeInstanceOf(PayloadTooLargeError);
    expect(req.listenerCount("data")).toBe(0);
  });

  it("counts while streaming without Content-Length (chunked)", async () => {
    const req = fakeRequest({});
    const body = readBoundedBody(req, 4096);
    for (let i = 0; i < 5; i++) req.write(Buffer.alloc(1024, 0x20));
    await expect(body).rejects.toBeInstanceOf(PayloadTooLargeError);
  });

  it("rejects with ClientGoneError when the stream closes early", async () => {
    const req = fakeRequest({});
    const body = readBoundedBody(req, 4096);
    req.write("{");
    req.destroy();
    await expect(body).rejects.toBeInstanceOf(ClientGoneError);
  });
});

describe("helpers", () => {
  it("content type", () => {
    expect(isJsonContentType("application/json")).toBe(true);
    expect(isJsonContentType("Application/JSON; charset=UTF-8")).toBe(true);
    expect(isJsonContentType('application/json;charset="utf-8"')).toBe(true);
    expect(isJsonContentType("application/json; charset=latin1")).toBe(false);
    expect(isJsonContentType("application/jsonx")).toBe(false);
    expect(isJsonContentType("text/json")).toBe(false);
    expect(isJsonContentType(undefined)).toBe(false);
  });

  it("parseJsonObject", () => {
    expect(parseJsonObject(Buffer.from('{"a":1}'))).toEqual({ a: 1 });
    expect(() => parseJsonObject(Buffer.from("[1]"))).toThrow(/object/);
    expect(() => parseJsonObject(Buffer.from([0x7b, 0xc3]))).toThrow(/JSON/);
  });

  it("loopback addresses and hosts", () => {
    for (const a of ["127.0.0.1", "127.255.0.9", "::1", "::ffff:127.0.0.1", "::FFFF:7f00:1"]) expect(isLoopbackAddress(a), a).toBe(true);
    for (const a of ["10.0.0.1", "128.0.0.1", "::ffff:10.0.0.1", "::2", "fe80::1", "localhost", "", undefined]) {
      expect(isLoopbackAddress(a), String(a)).toBe(false);
    }
    expect(normalizeAddress("::ffff:192.0.2.1")).toBe("192.0.2.1");
    for (const h of ["localhost", "localhost:8787", "LOCALHOST.", "app.localhost:1", "127.0.0.1:8787", "[::1]:8787", "[::1]"]) {
      expect(isLoopbackHost(h), h).toBe(true);
    }
    for (const h of ["evil.example", "evil.example:8787", "127.0.0.1.evil.example", "localhost.evil.example", "[::2]:1", "", undefined]) {
      expect(isLoopbackHost(h), String(h)).toBe(false);
    }
  });
});
