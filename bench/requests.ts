// Signed requests built with the gateway's Ed25519 (src/gateway/signing/ed25519-node.ts; the SDK's
// noble signer is far too slow to generate load), byte-for-byte the same envelopes as the SDK builds.
import { create } from "@bufbuild/protobuf";
import {
  ExecuteCommandRequestSchema,
  RequestEnvelopeSchema,
  SubscribeEventsRequestSchema,
  type ExecuteCommandRequest,
  type ExecuteCommandResponse,
  type GatewayEvent,
  type SubscribeEventsRequest,
} from "../src/shared/gen/galaxy/gateway/v1/gateway_pb.js";
import { PROTOCOL_VERSION, SUBSCRIBE_MESSAGE_TYPE } from "../src/shared/protocol.js";
import { eventSigningInput, requestSigningInput, responseSigningInput } from "../src/shared/signing-input.js";
import { Ed25519Verifier, privateKeyFromSeed, signWith, type SigningKey } from "../src/gateway/signing/ed25519-node.js";
import { sha256Node as sha256 } from "../src/node/sha256.js";

/** A signed-in device as it travels between bench processes (JSON over IPC). */
export interface BenchDevice {
  deviceSessionId: string;
  userId: string;
  /** base64 of the 32-byte seed */
  seed: string;
}

const EMPTY = new Uint8Array(0);
const EMPTY_HASH = sha256(EMPTY);

/** Shared by every signer of this process: request ids never repeat within a run (replay stage). */
let requestCounter = 0;

export class DeviceSigner {
  private readonly key: SigningKey;

  constructor(
    readonly device: BenchDevice,
    private readonly runTag: string,
  ) {
    this.key = privateKeyFromSeed(Buffer.from(device.seed, "base64"));
  }

  private envelope(messageType: string, payloadBytes: Uint8Array) {
    return create(RequestEnvelopeSchema, {
      protocolVersion: PROTOCOL_VERSION,
      deviceSessionId: this.device.deviceSessionId,
      messageType,
      timestampMs: BigInt(Date.now()),
      requestId: `b-${this.runTag}-${(requestCounter++).toString(36)}`,
      payloadHash: payloadBytes.length === 0 ? EMPTY_HASH : sha256(payloadBytes),
    });
  }

  executeCommand(messageType: string, payloadBytes: Uint8Array = EMPTY): ExecuteCommandRequest {
    const envelope = this.envelope(messageType, payloadBytes);
    return create(ExecuteCommandRequestSchema, {
      envelope,
      payloadBytes,
      signature: signWith(this.key, requestSigningInput(envelope)),
    });
  }

  subscribeEvents(): SubscribeEventsRequest {
    const envelope = this.envelope(SUBSCRIBE_MESSAGE_TYPE, EMPTY);
    return create(SubscribeEventsRequestSchema, { envelope, signature: signWith(this.key, requestSigningInput(envelope)) });
  }
}

/** Checks the gateway's signatures on sampled answers, so the bench never measures a broken path. */
export class GatewaySignatureChecker {
  private readonly verifier = new Ed25519Verifier();

  constructor(private readonly gatewayKey: Uint8Array) {}

  response(res: ExecuteCommandResponse): boolean {
    const env = res.envelope;
    return !!env && Buffer.from(sha256(res.payloadBytes)).equals(env.payloadHash) && this.verifier.verify(res.signature, responseSigningInput(env), this.gatewayKey);
  }

  event(ev: GatewayEvent): boolean {
    const env = ev.envelope;
    return !!env && Buffer.from(sha256(ev.payloadBytes)).equals(env.payloadHash) && this.verifier.verify(ev.signature, eventSigningInput(env), this.gatewayKey);
  }
}
