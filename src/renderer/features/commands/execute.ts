// Runs a command from the active device and keeps the app's bookkeeping: the last accepted request
// (replay case) and sessions the gateway reports revoked.
import type { StoredDevice } from "../../../shared/bridge.js";
import { runCommand, type CommandOutcome } from "../../api/gateway-client.js";
import type { AppState } from "../../state/app-state.js";

export async function execute(app: AppState, device: StoredDevice, messageType: string, payload: unknown): Promise<CommandOutcome> {
  const sentAtMs = Date.now();
  const outcome = await runCommand(device, messageType, payload);
  noteOutcome(app, device.deviceSessionId, outcome, sentAtMs);
  return outcome;
}

export function noteOutcome(app: AppState, deviceSessionId: string, outcome: Pick<CommandOutcome, "request" | "response" | "rejection">, sentAtMs: number) {
  if (outcome.response) app.lastAccepted.set(deviceSessionId, { request: outcome.request, deviceSessionId, sentAtMs });
  if (outcome.rejection?.reason === "session_revoked") app.markRevoked(deviceSessionId);
}
