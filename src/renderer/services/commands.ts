// ExecuteCommand from a device: signs (or sends a tampered request as is), verifies the response against
// the device's pinned gateway key (both through the SDK's lower level, src/sdk/signed-call.ts), and keeps the bookkeeping every sender shares: per device session,
// the last request the gateway accepted (the tamper lab's replay case), and sessions it reports revoked.
import type { StoredDevice } from "../../shared/bridge.js";
import type { ExecuteCommandRequest, ExecuteCommandResponse } from "../../shared/gen/galaxy/gateway/v1/gateway_pb.js";
import { signRequest, verifyResponse, type SignedRequest, type Verification } from "../../sdk/signed-call.js";
import { identityOf, pinnedKeyOf, toWire, type GatewayClient } from "./gateway-client.js";
import { toRejection, type Rejection } from "./rejection.js";

export interface CallOutcome {
  request: ExecuteCommandRequest;
  elapsedMs: number;
  response?: ExecuteCommandResponse;
  verification?: Verification;
  rejection?: Rejection;
}

export interface CommandOutcome extends CallOutcome {
  signed: SignedRequest;
  device: StoredDevice;
}

export interface AcceptedRequest {
  request: ExecuteCommandRequest;
  deviceSessionId: string;
  sentAtMs: number;
}

export class CommandService {
  /** Per device session; an entry goes when its device is removed (forget), so it is bounded by the devices kept. */
  private readonly lastAccepted = new Map<string, AcceptedRequest>();

  constructor(
    private readonly client: GatewayClient,
    /** Called when the gateway answers session_revoked for a device session. */
    private readonly onRevoked: (deviceSessionId: string) => void,
    /** Called with every command `run` sent (the history keeps them). */
    private readonly onRun: (outcome: CommandOutcome) => void = () => {},
  ) {}

  /** Signs a command with the device key and sends it. `payload` is a JSON value (or undefined: empty). */
  async run(device: StoredDevice, messageType: string, payload: unknown): Promise<CommandOutcome> {
    const signed = this.sign(device, messageType, payload);
    const outcome = await this.send(device, toWire(signed), { deviceSessionId: device.deviceSessionId, requestId: signed.envelope.requestId });
    const full = { ...outcome, signed, device };
    this.onRun(full);
    return full;
  }

  /** A request signed now (fresh request_id and timestamp), not sent: what "Copy as" hands out. */
  sign(device: StoredDevice, messageType: string, payload: unknown): SignedRequest {
    return signRequest(identityOf(device), { messageType, payload });
  }

  /**
   * Sends a (possibly tampered) request as is from `device`; verifies a response against its pinned key
   * (and, when given, that it answers this session and request).
   */
  async send(device: StoredDevice, request: ExecuteCommandRequest, expect: { deviceSessionId?: string; requestId?: string } = {}): Promise<CallOutcome> {
    const sentAtMs = Date.now();
    const started = performance.now();
    let outcome: CallOutcome;
    try {
      const response = await this.client.executeCommand(request);
      outcome = { request, elapsedMs: performance.now() - started, response, verification: verifyResponse(response, pinnedKeyOf(device), expect) };
    } catch (e) {
      outcome = { request, elapsedMs: performance.now() - started, rejection: toRejection(e) };
    }
    const id = device.deviceSessionId;
    if (outcome.response) this.lastAccepted.set(id, { request: outcome.request, deviceSessionId: id, sentAtMs });
    if (outcome.rejection?.reason === "session_revoked") this.onRevoked(id);
    return outcome;
  }

  /** The last request the gateway accepted (answered with a response) from this device session. */
  lastAcceptedFrom(deviceSessionId: string): AcceptedRequest | undefined {
    return this.lastAccepted.get(deviceSessionId);
  }

  forget(deviceSessionId: string): void {
    this.lastAccepted.delete(deviceSessionId);
  }
}
