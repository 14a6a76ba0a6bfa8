// One signed call as a client makes it: user.profile.get signed by the device, the answer checked
// against the gateway key the client pinned (not the one the gateway says it has now).
import { executeCommandRequest, verifyResponse, type DeviceIdentity } from "../../src/shared/sdk.js";
import { edgeClient } from "./emulator.js";

export async function signedCall(url: string, device: DeviceIdentity, pinnedKey: Uint8Array) {
  const request = executeCommandRequest(device, { messageType: "user.profile.get", payload: {} });
  const response = await edgeClient(url).executeCommand(request);
  return {
    resultCode: response.envelope?.resultCode,
    verification: verifyResponse(response, pinnedKey, { requestId: request.envelope!.requestId }),
  };
}
