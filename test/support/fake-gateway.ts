// A small stand-in gateway for the conformance tests: EdgeGateway over Connect, gRPC and gRPC-Web
// (connect-node, HTTP/2 cleartext and HTTP/1.1 on one port) plus GET /api/v1/public/gateway/info, with
// one device session and the §4 stages done simply. Correct unless told to break one thing (`faults`),
// so that `conform` against it must fail exactly the checks that look at the broken thing. It has no
// control plane (404), like a real gateway.
import http from "node:http";
import http2 from "node:http2";
import net from "node:net";
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, type ConnectRouter } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { bytesEqual, toBase64Url, utf8 } from "../../src/shared/bytes.js";
import { generateSeed, publicKeyFromSeed, sign, verify } from "../../src/shared/ed25519.js";
import {
  EdgeGateway,
  EventEnvelopeSchema,
  ExecuteCommandResponseSchema,
  GatewayErrorSchema,
  GatewayEventSchema,
  ResponseEnvelopeSchema,
  type RequestEnvelope,
} from "../../src/shared/gen/galaxy/gateway/v1/gateway_pb.js";
import { sha256 } from "../../src/shared/hash.js";
import { eventSigningInput, requestSigningInput, responseSigningInput } from "../../src/shared/signing-input.js";

export interface FakeFaults {
  /** Accepts any signature (the classic hole). */
  skipSignatureCheck?: boolean;
  /** Signs responses with a key other than the one gateway info publishes. */
  responsesSignedWithAnotherKey?: boolean;
  /** Sends gateway.server_time without a signature. */
  unsignedServerTime?: boolean;
  /** Rejects stale requests with a reason of its own ("expired") instead of stale_request. */
  staleReason?: string;
  /** Never answers ExecuteCommand (nor ends the call): for the timeouts. */
  hangExecuteCommand?: boolean;
}

export interface FakeGateway {
  url: string;
  close(): Promise<void>;
}

const FRESHNESS_WINDOW_MS = 60_000;
const MAX_PAYLOAD_BYTES = 64 * 1024;

function reject(code: Code, reason: string, stage: string): ConnectError {
  const detail = create(GatewayErrorSchema, { reason, stage, serverTimeMs: BigInt(Date.now()) });
  return new ConnectError(reason, code, undefined, [{ desc: GatewayErrorSchema, value: detail }]);
}

export async function startFakeGateway(session: { deviceSessionId: string; publicKey: Uint8Array }, faults: FakeFaults = {}): Promise<FakeGateway> {
  const gatewaySeed = generateSeed();
  const responseSeed = faults.responsesSignedWithAnotherKey ? generateSeed() : gatewaySeed;
  const seen = new Set<string>();
  const hung: Array<() => void> = [];

  /** The §4 stages from envelope to replay; answers the envelope. */
  function admit(envelope: RequestEnvelope | undefined, payload: Uint8Array, signature: Uint8Array, subscribe: boolean): RequestEnvelope {
    const env = envelope;
    if (!env || !/^[A-Za-z0-9._:-]{1,128}$/.test(env.requestId) || env.payloadHash.length !== 32 || signature.length !== 64 || payload.length > MAX_PAYLOAD_BYTES) {
      throw reject(Code.InvalidArgument, "malformed_envelope", "envelope");
    }
    if ((env.messageType === "gateway.subscribe_events") !== subscribe) throw reject(Code.InvalidArgument, "malformed_envelope", "envelope");
    if (env.protocolVersion !== 1) throw reject(Code.InvalidArgument, "unsupported_protocol_version", "envelope");
    if (env.deviceSessionId !== session.deviceSessionId) throw reject(Code.Unauthenticated, "unknown_session", "session");
    if (!bytesEqual(sha256(payload), env.payloadHash)) throw reject(Code.InvalidArgument, "payload_hash_mismatch", "payload_hash");
    if (!faults.skipSignatureCheck && !verify(signature, requestSigningInput(env), session.publicKey)) {
      throw reject(Code.Unauthenticated, "invalid_signature", "signature");
    }
    if (Math.abs(Date.now() - Number(env.timestampMs)) > FRESHNESS_WINDOW_MS) throw reject(Code.Unauthenticated, faults.staleReason ?? "stale_request", "freshness");
    const key = `${env.deviceSessionId}\n${env.requestId}`;
    if (seen.has(key)) throw reject(Code.AlreadyExists, "replayed_request", "replay");
    seen.add(key);
    return env;
  }

  const routes = (router: ConnectRouter) =>
    router.service(EdgeGateway, {
      async executeCommand(req) {
        if (faults.hangExecuteCommand) return new Promise<never>((_, rejectCall) => hung.push(() => rejectCall(new ConnectError("closing", Code.Unavailable))));
        const env = admit(req.envelope, req.payloadBytes, req.signature, false);
        if (env.messageType !== "user.profile.get") throw reject(Code.Unimplemented, "unknown_message_type", "routing");
        const payloadBytes = utf8(JSON.stringify({ display_name: "fake" }));
        const envelope = create(ResponseEnvelopeSchema, {
          protocolVersion: 1,
          deviceSessionId: env.deviceSessionId,
          requestId: env.requestId,
          timestampMs: BigInt(Date.now()),
          resultCode: "ok",
          payloadHash: sha256(payloadBytes),
        });
        return create(ExecuteCommandResponseSchema, { envelope, payloadBytes, signature: sign(responseSigningInput(envelope), responseSeed) });
      },
      async *subscribeEvents(req, context) {
        const env = admit(req.envelope, new Uint8Array(0), req.signature, true);
        const payloadBytes = utf8(JSON.stringify({ server_time_ms: Date.now() }));
        const envelope = create(EventEnvelopeSchema, {
          protocolVersion: 1,
          deviceSessionId: env.deviceSessionId,
          eventType: "gateway.server_time",
          eventId: "ev-1",
          timestampMs: BigInt(Date.now()),
          requestId: env.requestId,
          payloadHash: sha256(payloadBytes),
        });
        const signature = faults.unsignedServerTime ? new Uint8Array(0) : sign(eventSigningInput(envelope), gatewaySeed);
        yield create(GatewayEventSchema, { envelope, payloadBytes, signature });
        // Open until the client goes away.
        await new Promise<void>((resolve) => context.signal.addEventListener("abort", () => resolve(), { once: true }));
      },
    });

  const info = JSON.stringify({
    protocol_versions: [1],
    response_signing_public_key: toBase64Url(publicKeyFromSeed(gatewaySeed)),
    freshness_window_ms: FRESHNESS_WINDOW_MS,
    server_time_ms: 0,
  });
  const handler = connectNodeAdapter({
    routes,
    fallback(req, res) {
      if (req.method === "GET" && req.url === "/api/v1/public/gateway/info") {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(info.replace('"server_time_ms":0', `"server_time_ms":${Date.now()}`));
        return;
      }
      res.writeHead(404, { "content-type": "application/json" });
      res.end('{"error":{"code":"not_found","message":"no such path"}}');
    },
  });

  // One port, two protocols: a connection that opens with the HTTP/2 preface is HTTP/2 (prior
  // knowledge), any other HTTP/1.1.
  const h1 = http.createServer(handler);
  const h2 = http2.createServer(handler);
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
    // 'readable' + read(), not 'data': bytes unshifted in flowing mode are lost when http2 takes the
    // socket's handle (nodejs/node#34532; src/gateway/listener/sniff.ts does the same).
    let seen = Buffer.alloc(0);
    const onReadable = () => {
      let chunk: Buffer | null;
      while ((chunk = socket.read() as Buffer | null) !== null) seen = Buffer.concat([seen, chunk]);
      if (seen.length < 3) return;
      socket.off("readable", onReadable);
      socket.unshift(seen);
      (seen.subarray(0, 3).toString() === "PRI" ? h2 : h1).emit("connection", socket);
    };
    socket.on("readable", onReadable);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    async close() {
      for (const end of hung.splice(0)) end();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
