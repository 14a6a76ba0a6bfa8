// DirectStream (src/gateway/direct-stream.ts) writes a server stream's later messages straight to the
// HTTP response, in the 5-byte envelope Connect, gRPC and gRPC-Web share. Through real node:http2 and
// node:http servers: the bytes are exactly protobuf-es's encoding (binary, or JSON for +json clients),
// a reader that stops makes offer() wait for 'drain' instead of buffering without bound, a response
// that is gone takes nothing without throwing, and a message offered before the headers are sent (or
// while one yielded to connect-node is not yet written) is declined, to be yielded instead. Through the
// gateway's RPC adapter and real clients of every protocol: a handler that offers from its first
// message on delivers all of them, in order.
import http from "node:http";
import http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { create, fromBinary, fromJsonString, toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { afterEach, describe, expect, it } from "vitest";
import { DirectStream, directStreamKey, type NodeResponse } from "../../src/gateway/direct-stream.js";
import { createRpcHandler } from "../../src/gateway/rpc-adapter.js";
import { EdgeGateway, GatewayEventSchema, type GatewayEvent } from "../../src/shared/gen/galaxy/gateway/v1/gateway_pb.js";

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
async function overHttp2(
  contentType: string,
  respond: (stream: DirectStream, res: NodeResponse) => Promise<void>,
  { sendHeaders = true } = {},
): Promise<Buffer> {
  const server = http2.createServer((_req, res) => {
    if (sendHeaders) res.writeHead(200, { "content-type": contentType });
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
    for (const e of sent) expect(await stream.offer(GatewayEventSchema, e, new AbortController().signal)).toBe(true);
  });
  const got = envelopes(body);
  expect(got.map((b) => Buffer.from(b).toString("hex"))).toEqual(sent.map((e) => Buffer.from(toBinary(GatewayEventSchema, e)).toString("hex")));
});

it.each(["application/connect+json", "application/grpc-web+json"])("writes JSON for a %s client", async (contentType) => {
  const sent = [event(1), event(2)];
  const body = await overHttp2(contentType, async (stream) => {
    for (const e of sent) expect(await stream.offer(GatewayEventSchema, e, new AbortController().signal)).toBe(true);
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
        const write = stream.offer(GatewayEventSchema, event(i, 256 * 1024), new AbortController().signal);
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
  let outcome: "resolved" | "declined" | "rejected" | undefined;
  const server = http.createServer((req, res) => {
    res.writeHead(200);
    req.socket.once("close", () => {
      new DirectStream(res, "application/connect+proto").offer(GatewayEventSchema, event(1), new AbortController().signal).then(
        (taken) => (outcome = taken ? "resolved" : "declined"),
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

it("declines a message offered before the headers are sent, and writes nothing", async () => {
  let offered: boolean | undefined;
  const server = http.createServer((_req, res) => {
    void new DirectStream(res, "application/connect+proto").offer(GatewayEventSchema, event(1), new AbortController().signal).then((taken) => {
      offered = taken;
      res.writeHead(204); // still possible: nothing was written
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  closers.push(() => server.close());
  const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
  expect({ offered, status: res.status, body: (await res.arrayBuffer()).byteLength }).toEqual({ offered: false, status: 204, body: 0 });
});

it("declines while a message yielded to connect-node instead is not yet written, then takes the next", async () => {
  const taken: boolean[] = [];
  // Plays connect-node: writes what the handler yielded, and the RPC adapter, counting it.
  const connectNodeWrites = (res: NodeResponse, e: GatewayEvent) => (res as http.ServerResponse).write(frame(toBinary(GatewayEventSchema, e)));
  const body = await overHttp2Unsent("application/connect+proto", async (stream, res) => {
    const signal = new AbortController().signal;
    taken.push(await stream.offer(GatewayEventSchema, event(1), signal)); // before the headers: to be yielded
    res.writeHead(200, { "content-type": "application/connect+proto" });
    connectNodeWrites(res, event(1));
    taken.push(await stream.offer(GatewayEventSchema, event(2), signal)); // event 1 written but not yet counted
    connectNodeWrites(res, event(2));
    stream.messagesWritten(2);
    taken.push(await stream.offer(GatewayEventSchema, event(3), signal));
  });
  expect(taken).toEqual([false, false, true]);
  expect(envelopes(body).map((b) => fromBinary(GatewayEventSchema, b).envelope!.eventId)).toEqual(["ev-1", "ev-2", "ev-3"]);
});

function frame(message: Uint8Array): Buffer {
  const head = Buffer.alloc(5);
  head.writeUInt32BE(message.byteLength, 1);
  return Buffer.concat([head, message]);
}

/** Like overHttp2, but the headers are left to `respond`. */
function overHttp2Unsent(contentType: string, respond: (stream: DirectStream, res: NodeResponse) => Promise<void>): Promise<Buffer> {
  return overHttp2(contentType, respond, { sendHeaders: false });
}

// Through the gateway's RPC adapter: a handler that offers every message from the first on, as
// SubscribeEvents does. The first is offered before connect-node has sent anything, so it must be
// yielded; the adapter counts it written as connect-node writes it, and the later ones go out directly.
const CLIENTS: Record<string, { http: "h1" | "h2"; transport: (baseUrl: string) => Transport }> = {
  "connect h1": { http: "h1", transport: (baseUrl) => createConnectTransport({ baseUrl, httpVersion: "1.1" }) },
  "connect h2": { http: "h2", transport: (baseUrl) => createConnectTransport({ baseUrl, httpVersion: "2" }) },
  "connect json h1": { http: "h1", transport: (baseUrl) => createConnectTransport({ baseUrl, httpVersion: "1.1", useBinaryFormat: false }) },
  "grpc h2": { http: "h2", transport: (baseUrl) => createGrpcTransport({ baseUrl }) },
  "grpc-web h1": { http: "h1", transport: (baseUrl) => createGrpcWebTransport({ baseUrl, httpVersion: "1.1" }) },
  "grpc-web h2": { http: "h2", transport: (baseUrl) => createGrpcWebTransport({ baseUrl, httpVersion: "2" }) },
};

describe.each(Object.keys(CLIENTS))("a handler offering from its first message on, over %s", (name) => {
  it("delivers every message in order; the first goes through connect-node, the rest directly", async () => {
    const { http: version, transport } = CLIENTS[name]!;
    const taken: boolean[] = [];
    const handler = createRpcHandler({
      routes: (router) =>
        router.service(EdgeGateway, {
          executeCommand: () => {
            throw new ConnectError("not in this test", Code.Unimplemented);
          },
          async *subscribeEvents(_req, ctx) {
            const direct = ctx.values.get(directStreamKey)!;
            for (let i = 0; i < 4; i++) {
              const offered = await direct.offer(GatewayEventSchema, event(i), ctx.signal);
              taken.push(offered);
              if (!offered) yield event(i);
            }
          },
        }),
    });
    const server = version === "h1" ? http.createServer(handler) : http2.createServer(handler);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    closers.push(() => server.close());
    const client = createClient(EdgeGateway, transport(`http://127.0.0.1:${(server.address() as AddressInfo).port}`));
    const got: string[] = [];
    // The bound only turns a broken stream (a client left waiting) into a failure that names it.
    for await (const e of client.subscribeEvents({}, { timeoutMs: 10_000 })) got.push(e.envelope!.eventId);
    expect(got).toEqual(["ev-0", "ev-1", "ev-2", "ev-3"]);
    expect(taken, "connect-node resumes a handler only after writing what it yielded, so only the first is declined").toEqual([false, true, true, true]);
  });
});
