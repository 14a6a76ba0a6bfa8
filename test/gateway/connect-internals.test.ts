// The behaviours of connect-es that src/gateway/connect-internals.ts lists (its public API does not
// promise them), checked against the installed packages themselves — not through the gateway, whose
// own tests would only show a symptom. A failure names the package, its installed version, the
// version the reliance was verified against, and the reliance.
import { readFileSync } from "node:fs";
import http from "node:http";
import http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { Code, ConnectError, createConnectRouter, type ConnectRouter } from "@connectrpc/connect";
import type { UniversalServerResponse } from "@connectrpc/connect/protocol";
import { connectNodeAdapter, universalResponseToNodeResponse } from "@connectrpc/connect-node";
import { afterEach, describe, expect, it } from "vitest";
import { CONNECT_VERIFIED_VERSION, isClientDecodeError } from "../../src/gateway/connect-internals.js";
import { EdgeGateway } from "../../src/shared/gen/galaxy/gateway/v1/gateway_pb.js";

type Package = "@connectrpc/connect" | "@connectrpc/connect-node";

function installedVersion(pkg: Package): string {
  const manifest = new URL(`../../node_modules/${pkg}/package.json`, import.meta.url);
  return (JSON.parse(readFileSync(manifest, "utf8")) as { version: string }).version;
}

/** The failure message: which package, which versions, which reliance. */
function changed(pkg: Package, reliance: string): string {
  return `${pkg} ${CONNECT_VERIFIED_VERSION} → ${installedVersion(pkg)}: ${reliance} changed (see src/gateway/connect-internals.ts)`;
}

const closers: (() => void)[] = [];
afterEach(() => closers.splice(0).forEach((close) => close()));

/** EdgeGateway with handlers that are never reached: every request here fails before them. */
function routes(router: ConnectRouter): void {
  router.service(EdgeGateway, {
    executeCommand: () => {
      throw new ConnectError("handler reached", Code.Unimplemented);
    },
    async *subscribeEvents() {
      throw new ConnectError("handler reached", Code.Unimplemented);
    },
  });
}

function frame(flags: number, message: Uint8Array): Buffer {
  const head = Buffer.alloc(5);
  head[0] = flags;
  head.writeUInt32BE(message.byteLength, 1);
  return Buffer.concat([head, message]);
}

/** A byte that no message decodes from: a tag without its value. */
const UNDECODABLE = new Uint8Array([0xff]);

async function listen(server: http.Server | http2.Http2Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  closers.push(() => server.close());
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

it("the installed connect-es packages are the versions connect-internals.ts was verified against", () => {
  for (const pkg of ["@connectrpc/connect", "@connectrpc/connect-node"] as const) {
    const upgraded = `${pkg} ${CONNECT_VERIFIED_VERSION} → ${installedVersion(pkg)}: re-verify R1–R3 of src/gateway/connect-internals.ts, then update CONNECT_VERIFIED_VERSION`;
    expect(installedVersion(pkg), upgraded).toBe(CONNECT_VERIFIED_VERSION);
  }
});

describe("R1: a request that does not decode fails INTERNAL with a message isClientDecodeError knows", () => {
  it("binary message that does not parse (Connect unary): 'parse binary: …'", async () => {
    const url = await listen(http.createServer(connectNodeAdapter({ routes })));
    const res = await fetch(`${url}/galaxy.gateway.v1.EdgeGateway/ExecuteCommand`, {
      method: "POST",
      headers: { "content-type": "application/proto" },
      body: UNDECODABLE,
    });
    const error = (await res.json()) as { code?: string; message?: string };
    const reliance = `the error for an undecodable binary message (got HTTP ${res.status} ${JSON.stringify(error)})`;
    expect(error.code, changed("@connectrpc/connect", reliance)).toBe("internal");
    expect(isClientDecodeError(error.message), changed("@connectrpc/connect", reliance)).toBe(true);
  });

  it("compressed envelope without an encoding (Connect stream): 'received compressed envelope, but …'", async () => {
    const url = await listen(http.createServer(connectNodeAdapter({ routes })));
    const res = await fetch(`${url}/galaxy.gateway.v1.EdgeGateway/SubscribeEvents`, {
      method: "POST",
      headers: { "content-type": "application/connect+proto", "connect-protocol-version": "1" },
      body: new Uint8Array(frame(0x01, new Uint8Array(0))),
    });
    const body = Buffer.from(await res.arrayBuffer());
    const end = JSON.parse(body.subarray(5).toString("utf8")) as { error?: { code?: string; message?: string } };
    const reliance = `the error for a compressed envelope without an encoding (got ${JSON.stringify(end)})`;
    expect(end.error?.code, changed("@connectrpc/connect", reliance)).toBe("internal");
    expect(isClientDecodeError(end.error?.message), changed("@connectrpc/connect", reliance)).toBe(true);
  });
});

describe.each(["h1", "h2"] as const)("R2: universalResponseToNodeResponse over %s", (version) => {
  it("writes the headers with the first chunk, each chunk before it asks for the next, and reads the trailer after the body", async () => {
    const log: string[] = [];
    const trailer = new Headers();
    async function* body() {
      yield new Uint8Array([1]);
      log.push("body resumed after chunk 1");
      yield new Uint8Array([2, 2]);
      log.push("body resumed after chunk 2");
      trailer.set("x-set-last", "yes");
    }
    const uRes: UniversalServerResponse = { status: 200, header: new Headers({ "content-type": "application/test" }), body: body(), trailer };
    const served = new Promise<void>((resolve, reject) => {
      const respond = (_req: unknown, res: http.ServerResponse | http2.Http2ServerResponse) => {
        recordWrites(res, log);
        universalResponseToNodeResponse(uRes, res as http.ServerResponse).catch(reject);
        res.once("finish", () => resolve());
      };
      void listen(version === "h1" ? http.createServer(respond) : http2.createServer(respond)).then((url) => request(version, url));
    });
    await served;
    expect(log, changed("@connectrpc/connect-node", "the order in which universalResponseToNodeResponse writes and pulls")).toEqual([
      "writeHead 200",
      "write 1 bytes",
      "body resumed after chunk 1",
      "write 2 bytes",
      "body resumed after chunk 2",
      "addTrailers x-set-last",
      "end",
    ]);
  });
});

/** Records, on this response object only, the calls connect-node makes on it. */
function recordWrites(res: http.ServerResponse | http2.Http2ServerResponse, log: string[]): void {
  const target = res as unknown as Record<string, (...args: unknown[]) => unknown>;
  const record = (name: string, describe: (args: unknown[]) => string) => {
    const original = target[name]!.bind(res);
    target[name] = (...args: unknown[]) => {
      log.push(describe(args));
      return original(...args);
    };
  };
  record("writeHead", (args) => `writeHead ${String(args[0])}`);
  record("write", (args) => `write ${(args[0] as Uint8Array).byteLength} bytes`);
  record("addTrailers", (args) => `addTrailers ${Object.keys(args[0] as object).join(",")}`);
  record("end", () => "end");
}

function request(version: "h1" | "h2", url: string): void {
  if (version === "h1") {
    http.request(url, { method: "POST", agent: false }, (res) => res.resume()).end();
    return;
  }
  const session = http2.connect(url);
  closers.push(() => session.destroy());
  session.request({ ":method": "POST", ":path": "/" }).resume().end();
}

it("R3: a gRPC handler's status is in the response's trailer object once its body is over", async () => {
  const router = createConnectRouter();
  routes(router);
  const handler = router.handlers.find((h) => h.method.name === "ExecuteCommand" && h.protocolNames.includes("grpc"))!;
  const uRes = await handler({
    httpVersion: "2.0",
    url: "http://localhost/galaxy.gateway.v1.EdgeGateway/ExecuteCommand",
    method: "POST",
    header: new Headers({ "content-type": "application/grpc+proto", te: "trailers" }),
    body: (async function* () {
      yield frame(0, UNDECODABLE);
    })(),
    signal: new AbortController().signal,
  });
  const trailer = uRes.trailer; // taken before the body, as the gateway's adapter does
  const chunks: Uint8Array[] = [];
  for await (const chunk of uRes.body!) chunks.push(chunk);
  expect(chunks, "a gRPC error answer has no message").toEqual([]);
  const reliance = `where a gRPC handler's status is (trailer ${JSON.stringify(trailer && Object.fromEntries(trailer))})`;
  expect(trailer?.get("grpc-status"), changed("@connectrpc/connect", reliance)).toBe(String(Code.Internal));
  expect(isClientDecodeError(decodeURIComponent(trailer?.get("grpc-message") ?? "")), changed("@connectrpc/connect", reliance)).toBe(true);
});
