// DirectStream (src/gateway/direct-stream.ts) writes a server stream's later messages straight to the
// HTTP response, in the 5-byte envelope Connect, gRPC and gRPC-Web share. Through real node:http2 and
// node:http servers: the bytes are exactly protobuf-es's encoding (binary, or JSON for +json clients),
// a reader that stops makes write() wait for 'drain' instead of buffering without bound, and a
// response that is gone takes nothing without throwing.
import http from "node:http";
import http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { create, fromBinary, fromJsonString, toBinary } from "@bufbuild/protobuf";
import { afterEach, expect, it } from "vitest";
import { DirectStream, type NodeResponse } from "../../src/gateway/direct-stream.js";
import { GatewayEventSchema, type GatewayEvent } from "../../src/shared/gen/galaxy/gateway/v1/gateway_pb.js";

const closers: (() => void)[] = [];
afterEach(() => closers.splice(0).forEach((close) => close()));

function event(i: number, padding = 0): GatewayEvent {
  return create(GatewayEventSchema, {
    envelope: { protocolVersion: 1, deviceSessionId: "ds_1", eventType: "test.tick", eventId: `ev-${i}`, timestampMs: 1_700_000_000_000n + BigInt(i), requestId: "req-1", payloadHash: new Uint8Array(32).fill(i) },
    payloadBytes: new TextEncoder().encode(JSON.stringify({ i, pad: "x".repeat(padding) })),
    signature: new Uint8Array(64).fill(7),
  });
}

/** Splits a body into its envelopes, checking every flag is 0 (uncompressed message). */
function envelopes(body: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0; at < body.length; ) {
    expect(body[at]).toBe(0);
    const length = body.readUInt32BE(at + 1);
    out.push(body.subarray(at + 5, at + 5 + length));
    at += 5 + length;
  }
  return out;
}

/** An h2 server whose one request is answered by `respond`; the client's body comes back whole. */
async function overHttp2(contentType: string, respond: (stream: DirectStream, res: NodeResponse) => Promise<void>): Promise<Buffer> {
  const server = http2.createServer((_req, res) => {
    res.writeHead(200, { "content-type": contentType });
    void respond(new DirectStream(res, contentType), res).then(() => res.end());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const session = http2.connect(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  closers.push(() => {
    session.destroy();
    server.close();
  });
  const req = session.request({ ":method": "POST", ":path": "/" });
  req.end();
  const chunks: Buffer[] = [];
  req.on("data", (c: Buffer) => chunks.push(c));
  await new Promise((resolve) => req.once("end", resolve));
  return Buffer.concat(chunks);
}

it("writes each message as one uncompressed envelope holding protobuf-es's binary encoding", async () => {
  const sent = [event(1), event(2), event(3, 1_000)];
  const body = await overHttp2("application/connect+proto", async (stream) => {
    for (const e of sent) await stream.write(GatewayEventSchema, e, new AbortController().signal);
  });
  const got = envelopes(body);
  expect(got.map((b) => Buffer.from(b).toString("hex"))).toEqual(sent.map((e) => Buffer.from(toBinary(GatewayEventSchema, e)).toString("hex")));
});

it.each(["application/connect+json", "application/grpc-web+json"])("writes JSON for a %s client", async (contentType) => {
  const sent = [event(1), event(2)];
  const body = await overHttp2(contentType, async (stream) => {
    for (const e of sent) await stream.write(GatewayEventSchema, e, new AbortController().signal);
  });
  const got = envelopes(body).map((b) => fromJsonString(GatewayEventSchema, b.toString("utf8")));
  expect(got).toEqual(sent);
});

it("waits for 'drain' when the reader falls behind, and delivers everything in order once it reads", async () => {
  const TOTAL = 64;
  let writerWaiting!: () => void;
  const waiting = new Promise<void>((resolve) => (writerWaiting = resolve));
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { "content-type": "application/connect+proto" });
    const stream = new DirectStream(res, "application/connect+proto");
    void (async () => {
      for (let i = 0; i < TOTAL; i++) {
        const write = stream.write(GatewayEventSchema, event(i, 256 * 1024), new AbortController().signal);
        // A write the response cannot take now stays pending (until 'drain'): then the reader resumes.
        const settledAtOnce = await Promise.race([write.then(() => true), new Promise<boolean>((r) => setImmediate(() => r(false)))]);
        if (!settledAtOnce) writerWaiting();
        await write;
      }
      res.end();
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  closers.push(() => server.close());
  const res = await new Promise<http.IncomingMessage>((resolve) => http.get(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`, resolve));
  res.pause();
  await waiting; // 64 × 256 KiB is far more than the socket buffers hold
  const chunks: Buffer[] = [];
  res.on("data", (c: Buffer) => chunks.push(c));
  res.resume();
  await new Promise((resolve) => res.once("end", resolve));
  const got = envelopes(Buffer.concat(chunks)).map((b) => fromBinary(GatewayEventSchema, b).envelope!.eventId);
  expect(got).toEqual(Array.from({ length: TOTAL }, (_, i) => `ev-${i}`));
});

it("takes nothing, and does not throw, once the response is gone", async () => {
  let outcome: "resolved" | "rejected" | undefined;
  const server = http.createServer((req, res) => {
    res.writeHead(200);
    req.socket.once("close", () => {
      new DirectStream(res, "application/connect+proto").write(GatewayEventSchema, event(1), new AbortController().signal).then(
        () => (outcome = "resolved"),
        () => (outcome = "rejected"),
      );
    });
    req.socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  closers.push(() => server.close());
  await new Promise<void>((resolve) => {
    const req = http.get(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    req.on("error", () => resolve());
  });
  await expect.poll(() => outcome).toBe("resolved");
});
