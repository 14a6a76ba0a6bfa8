// Message compression through a real gateway: gzip, deflate (zlib format, as gRPC's "deflate" is)
// and br are accepted on requests and used for responses, on gRPC, gRPC-Web and Connect; grpc-js,
// configured with gzip or deflate, works; an unknown encoding is UNIMPLEMENTED with the accepted list.
// Request and response bytes are (de)compressed here with node:zlib, independently of the gateway.
import zlib from "node:zlib";
import { fromBinary, toBinary } from "@bufbuild/protobuf";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningGateway } from "../../src/gateway/gateway.js";
import { ExecuteCommandRequestSchema, ExecuteCommandResponseSchema } from "../../src/shared/gen/galaxy/gateway/v1/gateway_pb.js";
import { executeCommandRequest, verifyResponse, type DeviceIdentity } from "../../src/shared/sdk.js";
import { gatewayFor, h1Request, h2Request, portOf, type RawReply } from "../hardening/support.js";
import { gatewayPublicKey } from "../support/emulator.js";
import { grpcJsEdgeClient } from "./grpc-js-client.js";
import { startOneDeviceBackend, UNLIMITED_RATES, type OneDeviceBackend } from "./one-device-backend.js";

/** A backend answer well over connect-node's 1 KiB threshold, so the gateway compresses its response. */
const BIG_REPLY = { blob: "galaxy ".repeat(1_000) };
const PATH = "/galaxy.gateway.v1.EdgeGateway/ExecuteCommand";

const CODECS = {
  gzip: { compress: zlib.gzipSync, decompress: zlib.gunzipSync },
  deflate: { compress: zlib.deflateSync, decompress: zlib.inflateSync },
  br: { compress: zlib.brotliCompressSync, decompress: zlib.brotliDecompressSync },
};
type Encoding = keyof typeof CODECS;

let backend: OneDeviceBackend;
let gateway: RunningGateway;
let device: DeviceIdentity;
let gatewayKey: Uint8Array;

beforeAll(async () => {
  backend = await startOneDeviceBackend(BIG_REPLY);
  device = backend.device;
  gateway = await gatewayFor(backend.url, { config: UNLIMITED_RATES });
  gatewayKey = await gatewayPublicKey(gateway.url);
});
afterAll(async () => {
  await gateway?.close(0);
  await backend?.close();
});

function frame(flags: number, payload: Uint8Array): Buffer {
  const head = Buffer.alloc(5);
  head[0] = flags;
  head.writeUInt32BE(payload.byteLength, 1);
  return Buffer.concat([head, payload]);
}

function firstFrame(body: Buffer): { flags: number; payload: Buffer } {
  return { flags: body[0]!, payload: body.subarray(5, 5 + body.readUInt32BE(1)) };
}

function header(reply: RawReply, name: string): string | undefined {
  const value = reply.headers[name];
  return Array.isArray(value) ? value.join(",") : value;
}

/** One ExecuteCommand, its request compressed with `encoding` and that encoding asked for the answer. */
async function compressedCall(protocol: "grpc" | "grpc-web" | "connect", encoding: Encoding) {
  const req = executeCommandRequest(device, { messageType: "user.profile.get" });
  const message = CODECS[encoding].compress(toBinary(ExecuteCommandRequestSchema, req));
  const port = portOf(gateway.url);
  let reply: RawReply;
  let responseBytes: Buffer;
  if (protocol === "connect") {
    reply = await h1Request(port, {
      path: PATH,
      headers: { "content-type": "application/proto", "connect-protocol-version": "1", "content-encoding": encoding, "accept-encoding": encoding },
      body: message,
    });
    expect(reply.status).toBe(200);
    expect(header(reply, "content-encoding")).toBe(encoding);
    responseBytes = CODECS[encoding].decompress(reply.body);
  } else {
    const headers = { "grpc-encoding": encoding, "grpc-accept-encoding": encoding };
    reply =
      protocol === "grpc"
        ? await h2Request(port, { path: PATH, headers: { "content-type": "application/grpc", te: "trailers", ...headers }, body: frame(1, message) })
        : await h1Request(port, { path: PATH, headers: { "content-type": "application/grpc-web+proto", ...headers }, body: frame(1, message) });
    expect(reply.status).toBe(200);
    expect(header(reply, "grpc-encoding")).toBe(encoding);
    const { flags, payload } = firstFrame(reply.body);
    expect(flags).toBe(1); // compressed
    responseBytes = CODECS[encoding].decompress(payload);
  }
  const res = fromBinary(ExecuteCommandResponseSchema, responseBytes);
  expect(res.envelope?.resultCode).toBe("ok");
  expect(JSON.parse(Buffer.from(res.payloadBytes).toString("utf8"))).toEqual(BIG_REPLY);
  expect(verifyResponse(res, gatewayKey, { requestId: req.envelope!.requestId })).toEqual({ ok: true });
}

describe.each(["grpc", "grpc-web", "connect"] as const)("compression over %s", (protocol) => {
  it.each(Object.keys(CODECS) as Encoding[])("%s: the request is read and the answer is compressed with it", async (encoding) => {
    await compressedCall(protocol, encoding);
  });
});

describe("@grpc/grpc-js with compression", () => {
  it.each(["gzip", "deflate"] as const)("%s: a signed response that verifies", async (compression) => {
    const client = grpcJsEdgeClient(gateway.url, compression);
    try {
      const req = executeCommandRequest(device, { messageType: "user.profile.get" });
      const res = await client.executeCommand(req);
      expect(res.envelope?.resultCode).toBe("ok");
      expect(JSON.parse(Buffer.from(res.payloadBytes).toString("utf8"))).toEqual(BIG_REPLY);
      expect(verifyResponse(res, gatewayKey, { requestId: req.envelope!.requestId })).toEqual({ ok: true });
    } finally {
      client.close();
    }
  });
});

describe("bad compressed input", () => {
  const grpcCall = (encoding: string, payload: Uint8Array) =>
    h2Request(portOf(gateway.url), {
      path: PATH,
      headers: { "content-type": "application/grpc", te: "trailers", "grpc-encoding": encoding },
      body: frame(1, payload),
    });

  it("an unknown encoding: UNIMPLEMENTED, naming gzip, deflate and br (gRPC status and grpc-accept-encoding)", async () => {
    const reply = await grpcCall("snappy", new Uint8Array([1, 2, 3]));
    const trailers = { ...reply.headers, ...reply.trailers };
    expect(trailers["grpc-status"]).toBe("12");
    const message = decodeURIComponent(String(trailers["grpc-message"]));
    expect(message).toContain('unknown compression "snappy"');
    for (const name of ["gzip", "deflate", "br"]) expect(message).toContain(name);
    expect(String(trailers["grpc-accept-encoding"]).split(",").sort()).toEqual(["br", "deflate", "gzip"]);
  });

  it("an unknown encoding over Connect: unimplemented, naming the three", async () => {
    const reply = await h1Request(portOf(gateway.url), {
      path: PATH,
      headers: { "content-type": "application/proto", "connect-protocol-version": "1", "content-encoding": "snappy" },
      body: new Uint8Array([1, 2, 3]),
    });
    const error = JSON.parse(reply.body.toString("utf8"));
    expect(error.code).toBe("unimplemented");
    for (const name of ["gzip", "deflate", "br"]) expect(error.message).toContain(name);
  });

  it("deflate that inflates past the message limit: RESOURCE_EXHAUSTED, as with gzip", async () => {
    for (const [encoding, compress] of [["deflate", zlib.deflateSync], ["gzip", zlib.gzipSync]] as const) {
      const reply = await grpcCall(encoding, compress(Buffer.alloc(1024 * 1024)));
      expect({ ...reply.headers, ...reply.trailers }["grpc-status"], encoding).toBe("8");
    }
  });

  it("bytes that are not zlib data under deflate: INVALID_ARGUMENT", async () => {
    const reply = await grpcCall("deflate", Buffer.from("certainly not zlib"));
    expect({ ...reply.headers, ...reply.trailers }["grpc-status"]).toBe("3");
  });
});
