// Hostile input on the RPC surface, property-tested on real sockets: mutated signed requests through
// every client transport, byte-mutated and random bodies POSTed raw with every content type over
// HTTP/1.1 and h2, and enveloped frames whose length prefix lies. Every request must settle within
// REQUEST_DEADLINE_MS with a documented answer: never INTERNAL/UNKNOWN, never HTTP 500, never a hang,
// and the gateway keeps serving afterwards.
import net from "node:net";
import { create, fromBinary, toBinary, toJsonString } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ExecuteCommandRequestSchema,
  ExecuteCommandResponseSchema,
  RequestEnvelopeSchema,
  SubscribeEventsRequestSchema,
  type ExecuteCommandRequest,
} from "../../src/shared/gen/galaxy/gateway/v1/gateway_pb.js";
import { executeCommandRequest, subscribeEventsRequest, verifyResponse } from "../../src/shared/sdk.js";
import { MAX_RPC_MESSAGE_BYTES } from "../../src/gateway/gateway.js";
import type { RunningEmulator } from "../../src/emulator/start.js";
import {
  edgeClient,
  gatewayPublicKey,
  patchConfig,
  signIn,
  startTestEmulator,
  TRANSPORT_NAMES,
  type SignedInDevice,
} from "../support/emulator.js";
import { connectErrorOf, DOCUMENTED_CODES, h1Request, h2Request, hasMessageFrame, portOf, reasonOf, REQUEST_DEADLINE_MS, type RawReply } from "./support.js";

const EXECUTE = "/galaxy.gateway.v1.EdgeGateway/ExecuteCommand";
const SUBSCRIBE = "/galaxy.gateway.v1.EdgeGateway/SubscribeEvents";
const CODE_NAMES = Object.fromEntries(Object.entries(Code).filter(([, v]) => typeof v === "number").map(([k, v]) => [v, k]));
/** Answers that mean "the server broke", whatever the protocol. */
const BROKEN = new Set(["internal", "unknown", "data_loss", "13", "2", "15"]);

let emulator: RunningEmulator;
let port: number;
let device: SignedInDevice;
let gatewayKey: Uint8Array;

beforeAll(async () => {
  emulator = await startTestEmulator();
  port = portOf(emulator.url);
  // Budgets out of the way, so random requests reach the later stages instead of stopping at rate_limit.
  const big = { rate_per_s: 1e6, burst: 1e6 };
  await patchConfig(emulator.url, { rate_limits: { per_ip: big, per_session: big, per_user: big, per_message_type: big } });
  device = await signIn(emulator.url);
  gatewayKey = await gatewayPublicKey(emulator.url);
});
afterAll(() => emulator.close());

/** After each property: the gateway still answers a valid signed call. */
async function expectStillServing(): Promise<void> {
  const res = await edgeClient(emulator.url).executeCommand(executeCommandRequest(device, { messageType: "user.profile.get", payload: {} }), {
    signal: AbortSignal.timeout(REQUEST_DEADLINE_MS),
  });
  expect(verifyResponse(res, gatewayKey)).toEqual({ ok: true });
}

type Wire = "connect" | "connect-stream" | "grpc" | "grpc-web";

function frame(message: Uint8Array, flags = 0, declared = message.byteLength): Buffer {
  const head = Buffer.alloc(5);
  head[0] = flags;
  head.writeUInt32BE(declared >>> 0, 1);
  return Buffer.concat([head, message]);
}

function frames(body: Buffer): { flags: number; payload: Buffer }[] {
  const out: { flags: number; payload: Buffer }[] = [];
  for (let at = 0; at + 5 <= body.length; ) {
    const length = body.readUInt32BE(at + 1);
    out.push({ flags: body[at]!, payload: body.subarray(at + 5, at + 5 + length) });
    at += 5 + length;
  }
  return out;
}

/** The outcome of a raw RPC answer: "ok", a Connect code name, or http_<status> for a bare HTTP answer. */
function outcomeOf(reply: RawReply, wire: Wire): string {
  if (reply.cut) return "ok"; // a live stream: it delivered a message
  const grpcStatus = (h: RawReply["headers"]) => (h["grpc-status"] === undefined ? undefined : String(h["grpc-status"]));
  if (wire === "grpc") return grpcStatus(reply.trailers) ?? grpcStatus(reply.headers) ?? `http_${reply.status}`;
  if (wire === "grpc-web") {
    const inHeaders = grpcStatus(reply.headers);
    if (inHeaders !== undefined) return inHeaders;
    const trailer = frames(reply.body).find((f) => f.flags & 0x80);
    const status = trailer && /^grpc-status: ?(\d+)/im.exec(trailer.payload.toString("latin1"))?.[1];
    return status ?? `http_${reply.status}`;
  }
  if (wire === "connect-stream") {
    if (reply.status !== 200) return `http_${reply.status}`;
    const end = frames(reply.body).find((f) => f.flags & 0x02);
    if (!end) return "no_end_stream";
    const parsed = JSON.parse(end.payload.toString("utf8")) as { error?: { code?: string } };
    return parsed.error?.code ?? "ok";
  }
  if (reply.status === 200) return "ok";
  try {
    return String((JSON.parse(reply.body.toString("utf8")) as { code?: unknown }).code ?? `http_${reply.status}`);
  } catch {
    return `http_${reply.status}`;
  }
}

function expectDocumented(reply: RawReply, wire: Wire, what: string): void {
  const outcome = outcomeOf(reply, wire);
  const detail = `${what}: HTTP ${reply.status}, outcome ${outcome}, body ${JSON.stringify(reply.body.subarray(0, 200).toString("latin1"))}`;
  if (reply.status === 500 || reply.status > 599 || BROKEN.has(outcome) || outcome === "no_end_stream") throw new Error(detail);
}

const CONTENT_TYPES: Record<string, Wire> = {
  "application/proto": "connect",
  "application/json": "connect",
  "application/connect+proto": "connect-stream",
  "application/connect+json": "connect-stream",
  "application/grpc": "grpc",
  "application/grpc+proto": "grpc",
  "application/grpc+json": "grpc",
  "application/grpc-web": "grpc-web",
  "application/grpc-web+proto": "grpc-web",
  "application/grpc-web+json": "grpc-web",
  "application/grpc-web-text": "grpc-web",
  "text/plain": "connect",
  "application/x-www-form-urlencoded": "connect",
};

/** A raw POST; a streamed answer that delivers a message frame (a live SubscribeEvents) is cut there. */
function send(http: "h1" | "h2", path: string, contentType: string, body: Uint8Array, extra: Record<string, string> = {}): Promise<RawReply> {
  const headers = { "content-type": contentType, ...extra };
  const stopWhen = CONTENT_TYPES[contentType] === "connect" ? undefined : hasMessageFrame;
  return http === "h1" ? h1Request(port, { path, headers, body, stopWhen }) : h2Request(port, { path, headers, body, stopWhen });
}

// --- 1. mutated signed requests through the real client transports --------------------------------

type Mutation = (req: ExecuteCommandRequest) => void;
/** The envelope to mutate (an earlier mutation may have removed it). */
const env = (r: ExecuteCommandRequest) => (r.envelope ??= create(RequestEnvelopeSchema, {}));

const anyString = fc.oneof(fc.string({ maxLength: 200 }), fc.string({ unit: "grapheme", maxLength: 50 }), fc.constantFrom("", "\n", "../..", "a".repeat(129)));
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.integer().map((v) => (r: ExecuteCommandRequest) => void (env(r).protocolVersion = v >>> 0)),
  anyString.map((v) => (r: ExecuteCommandRequest) => void (env(r).deviceSessionId = v)),
  anyString.map((v) => (r: ExecuteCommandRequest) => void (env(r).messageType = v)),
  anyString.map((v) => (r: ExecuteCommandRequest) => void (env(r).requestId = v)),
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map((v) => (r: ExecuteCommandRequest) => void (env(r).timestampMs = v)),
  fc.uint8Array({ maxLength: 64 }).map((v) => (r: ExecuteCommandRequest) => void (env(r).payloadHash = v)),
  fc.uint8Array({ maxLength: 80 }).map((v) => (r: ExecuteCommandRequest) => void (r.signature = v)),
  fc.nat(511).map((bit) => (r: ExecuteCommandRequest) => void (r.signature[bit >> 3]! ^= 1 << (bit & 7))),
  fc.oneof(fc.uint8Array({ maxLength: 1024 }), fc.json({ maxDepth: 3 }).map((j) => new TextEncoder().encode(j))).map(
    (v) => (r: ExecuteCommandRequest) => void (r.payloadBytes = v),
  ),
  fc.constant((r: ExecuteCommandRequest) => void (r.envelope = undefined)),
  fc.constant((r: ExecuteCommandRequest) => void (r.envelope = create(RequestEnvelopeSchema, {}))),
);

describe("mutated signed requests, every transport", () => {
  it("each answers a signed response or a documented code with a GatewayError reason", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...TRANSPORT_NAMES),
        fc.constantFrom("user.profile.get", "game.fleet.dispatch", "user.sessions.list"),
        fc.array(mutation, { minLength: 1, maxLength: 3 }),
        async (transport, messageType, mutations) => {
          const request = executeCommandRequest(device, { messageType, payload: {} });
          for (const m of mutations) m(request);
          const outcome = await edgeClient(emulator.url, transport)
            .executeCommand(request, { signal: AbortSignal.timeout(REQUEST_DEADLINE_MS) })
            .then(
              (res) => ({ ok: verifyResponse(res, gatewayKey).ok }),
              (err: unknown) => ({ err: connectErrorOf(err) }),
            );
          if ("ok" in outcome) {
            expect(outcome.ok).toBe(true);
            return;
          }
          const { err } = outcome;
          expect(DOCUMENTED_CODES.has(err.code), `${transport}: ${CODE_NAMES[err.code]} ${err.message}`).toBe(true);
          expect(err.code).not.toBe(Code.DeadlineExceeded); // our own deadline: a hang
          expect(reasonOf(err), `${transport}: ${err.message}`).toBeDefined();
        },
      ),
      { numRuns: 150 },
    );
    await expectStillServing();
  });
});

// --- 2. byte-level mutations of a valid request, raw, every content type ---------------------------

type ByteOp = { kind: "flip"; at: number; bit: number } | { kind: "set"; at: number; value: number } | { kind: "truncate"; at: number } | { kind: "insert"; at: number; bytes: Uint8Array };

const byteOp: fc.Arbitrary<ByteOp> = fc.oneof(
  fc.record({ kind: fc.constant("flip" as const), at: fc.nat(), bit: fc.nat(7) }),
  fc.record({ kind: fc.constant("set" as const), at: fc.nat(), value: fc.nat(255) }),
  fc.record({ kind: fc.constant("truncate" as const), at: fc.nat() }),
  fc.record({ kind: fc.constant("insert" as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }) }),
);

function applyOps(source: Uint8Array, ops: ByteOp[]): Buffer {
  let bytes = Buffer.from(source);
  for (const op of ops) {
    const at = bytes.length === 0 ? 0 : op.at % bytes.length;
    if (op.kind === "flip" && bytes.length > 0) bytes[at] = bytes[at]! ^ (1 << op.bit);
    else if (op.kind === "set" && bytes.length > 0) bytes[at] = op.value;
    else if (op.kind === "truncate") bytes = bytes.subarray(0, at);
    else if (op.kind === "insert") bytes = Buffer.concat([bytes.subarray(0, at), op.bytes, bytes.subarray(at)]);
  }
  return bytes;
}

/** Channels: (HTTP version, content type, RPC). gRPC needs HTTP/2. */
const channel = fc.record({
  http: fc.constantFrom("h1" as const, "h2" as const),
  contentType: fc.constantFrom(...Object.keys(CONTENT_TYPES)),
  rpc: fc.constantFrom(EXECUTE, SUBSCRIBE),
});

function validMessage(rpc: string, json: boolean): Uint8Array {
  if (rpc === EXECUTE) {
    const req = executeCommandRequest(device, { messageType: "user.profile.get", payload: {} });
    return json ? new TextEncoder().encode(toJsonString(ExecuteCommandRequestSchema, req)) : toBinary(ExecuteCommandRequestSchema, req);
  }
  const req = subscribeEventsRequest(device);
  return json ? new TextEncoder().encode(toJsonString(SubscribeEventsRequestSchema, req)) : toBinary(SubscribeEventsRequestSchema, req);
}

describe("raw bodies on the RPC paths", () => {
  it("byte-mutated valid messages, framed per protocol: documented answers only", async () => {
    await fc.assert(
      fc.asyncProperty(channel, fc.array(byteOp, { minLength: 1, maxLength: 4 }), async ({ http, contentType, rpc }, ops) => {
        const wire = CONTENT_TYPES[contentType]!;
        if (http === "h1" && wire === "grpc") return; // gRPC is HTTP/2 only
        const message = applyOps(validMessage(rpc, contentType.includes("json")), ops);
        const body = wire === "connect" ? message : frame(message);
        const reply = await send(http, rpc, contentType, body);
        expectDocumented(reply, wire, `${http} ${contentType} ${rpc}`);
      }),
      { numRuns: 150 },
    );
    await expectStillServing();
  });

  it("random bytes with any content type (or none), over HTTP/1.1 and h2", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom("h1" as const, "h2" as const),
        fc.oneof(fc.constantFrom(...Object.keys(CONTENT_TYPES)), fc.string({ maxLength: 40 }).filter((s) => /^[\x21-\x7e ]*$/.test(s))),
        fc.constantFrom(EXECUTE, SUBSCRIBE),
        fc.oneof(fc.uint8Array({ maxLength: 4096 }), fc.uint8Array({ maxLength: 64 }).map((b) => frame(b))),
        async (http, contentType, rpc, body) => {
          const wire = CONTENT_TYPES[contentType] ?? "connect";
          if (http === "h1" && wire === "grpc") return;
          const reply = await send(http, rpc, contentType, body);
          expectDocumented(reply, wire, `${http} ${JSON.stringify(contentType)} ${rpc}`);
        },
      ),
      { numRuns: 150 },
    );
    await expectStillServing();
  });

  it("other methods and odd headers on the RPC paths get documented answers", async () => {
    for (const method of ["GET", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"]) {
      for (const http of ["h1", "h2"] as const) {
        const init = { method, path: `${EXECUTE}?connect=v1&encoding=proto&message=AAAA`, headers: { "content-type": "application/proto" } };
        const reply = http === "h1" ? await h1Request(port, init) : await h2Request(port, init);
        expectDocumented(reply, "connect", `${http} ${method}`);
      }
    }
    const oddHeaders: Record<string, string>[] = [
      { "connect-protocol-version": "2" },
      { "connect-timeout-ms": "-1" },
      { "connect-timeout-ms": "99999999999999999999" },
      { "grpc-timeout": "garbage" },
      { "content-encoding": "gzip" },
      { "content-encoding": "zstd" },
      { "connect-content-encoding": "br" },
      { "grpc-encoding": "gzip" },
      { "grpc-encoding": "snappy" },
    ];
    for (const headers of oddHeaders) {
      for (const [contentType, wire] of Object.entries(CONTENT_TYPES)) {
        const message = validMessage(EXECUTE, contentType.includes("json"));
        const body = wire === "connect" ? message : frame(message, headers["grpc-encoding"] ? 1 : 0);
        for (const http of ["h1", "h2"] as const) {
          if (http === "h1" && wire === "grpc") continue;
          expectDocumented(await send(http, EXECUTE, contentType, body, headers), wire, `${http} ${contentType} ${JSON.stringify(headers)}`);
        }
      }
    }
  });
});

// --- 3. frames whose length prefix lies, and oversized messages ------------------------------------

describe("truncated and oversized frames", () => {
  const streamed = fc.constantFrom(
    { http: "h2" as const, contentType: "application/grpc", rpc: EXECUTE },
    { http: "h2" as const, contentType: "application/grpc", rpc: SUBSCRIBE },
    { http: "h1" as const, contentType: "application/grpc-web+proto", rpc: EXECUTE },
    { http: "h2" as const, contentType: "application/grpc-web+proto", rpc: SUBSCRIBE },
    { http: "h1" as const, contentType: "application/connect+proto", rpc: SUBSCRIBE },
    { http: "h2" as const, contentType: "application/connect+proto", rpc: SUBSCRIBE },
  );

  it("a length prefix that claims more or fewer bytes than sent: documented answers only", async () => {
    await fc.assert(
      fc.asyncProperty(
        streamed,
        fc.oneof(fc.nat(300), fc.integer({ min: MAX_RPC_MESSAGE_BYTES - 8, max: MAX_RPC_MESSAGE_BYTES + 8 }), fc.constant(0xffffffff), fc.nat()),
        fc.constantFrom(0, 1, 2, 0x80, 0xff),
        fc.oneof(fc.uint8Array({ maxLength: 300 }), fc.constant(undefined)),
        async ({ http, contentType, rpc }, declared, flags, payload) => {
          const message = payload ?? validMessage(rpc, false);
          const reply = await send(http, rpc, contentType, frame(message, flags, declared));
          expectDocumented(reply, CONTENT_TYPES[contentType]!, `${http} ${contentType} declared ${declared} sent ${message.length}`);
        },
      ),
      { numRuns: 100 },
    );
    await expectStillServing();
  });

  it(`a message larger than ${MAX_RPC_MESSAGE_BYTES} bytes is refused with RESOURCE_EXHAUSTED on every protocol`, async () => {
    const big = executeCommandRequest(device, { messageType: "game.fleet.dispatch", payload: { pad: "x".repeat(MAX_RPC_MESSAGE_BYTES) } });
    const bytes = toBinary(ExecuteCommandRequestSchema, big);
    expect(bytes.length).toBeGreaterThan(MAX_RPC_MESSAGE_BYTES);
    const cases = [
      { http: "h1" as const, contentType: "application/proto", body: Buffer.from(bytes) },
      { http: "h2" as const, contentType: "application/proto", body: Buffer.from(bytes) },
      { http: "h2" as const, contentType: "application/grpc", body: frame(bytes) },
      { http: "h1" as const, contentType: "application/grpc-web+proto", body: frame(bytes) },
      { http: "h2" as const, contentType: "application/grpc-web+proto", body: frame(bytes) },
    ];
    for (const { http, contentType, body } of cases) {
      const reply = await send(http, EXECUTE, contentType, body);
      const outcome = outcomeOf(reply, CONTENT_TYPES[contentType]!);
      expect([String(Code.ResourceExhausted), "resource_exhausted"], `${http} ${contentType}: ${outcome}`).toContain(outcome);
    }
    // Through the real clients too.
    for (const transport of TRANSPORT_NAMES) {
      const err = await edgeClient(emulator.url, transport)
        .executeCommand(big, { signal: AbortSignal.timeout(REQUEST_DEADLINE_MS) })
        .then(() => undefined, connectErrorOf);
      expect(err?.code, transport).toBe(Code.ResourceExhausted);
    }
    // A payload that fits the message limit but not the 64 KiB payload rule is the envelope stage's.
    const payloadTooBig = executeCommandRequest(device, { messageType: "game.fleet.dispatch", payload: { pad: "x".repeat(66_000) } });
    const err = await edgeClient(emulator.url)
      .executeCommand(payloadTooBig, { signal: AbortSignal.timeout(REQUEST_DEADLINE_MS) })
      .then(() => undefined, connectErrorOf);
    expect({ code: err?.code, reason: err && reasonOf(err) }).toEqual({ code: Code.InvalidArgument, reason: "malformed_envelope" });
  });
});

describe("requests without an authority", () => {
  it("HTTP/1.0 without Host (which made connect-node throw out of the listener) is served normally", async () => {
    const body = validMessage(EXECUTE, false);
    const head = `POST ${EXECUTE} HTTP/1.0\r\ncontent-type: application/proto\r\ncontent-length: ${body.length}\r\n\r\n`;
    const raw = await new Promise<Buffer>((resolve, reject) => {
      const socket = net.connect(port, "127.0.0.1");
      const chunks: Buffer[] = [];
      socket.setTimeout(REQUEST_DEADLINE_MS, () => socket.destroy(new Error("hang")));
      socket.on("data", (c: Buffer) => chunks.push(c));
      socket.on("end", () => resolve(Buffer.concat(chunks)));
      socket.on("error", reject);
      socket.write(Buffer.concat([Buffer.from(head, "latin1"), body])); // HTTP/1.0: the server closes after answering
    });
    const split = raw.indexOf("\r\n\r\n");
    expect(raw.subarray(0, split).toString("latin1")).toMatch(/^HTTP\/1\.1 200 /);
    const response = fromBinary(ExecuteCommandResponseSchema, raw.subarray(split + 4));
    expect(verifyResponse(response, gatewayKey)).toEqual({ ok: true });
  });
});
