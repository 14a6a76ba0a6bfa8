// Issue 10.3: a signed request never executes twice, whatever the live config does between two sends
// of it. Through a real emulator over the network; time is driven through the gateway's clock offset
// (PATCH clock_offset_ms), so nothing sleeps: "+4,500 ms of offset" is the probe's "wait 4.5 s".
import { Code, ConnectError } from "@connectrpc/connect";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { GatewayErrorSchema, type ExecuteCommandRequest } from "../../src/shared/gen/galaxy/gateway/v1/gateway_pb.js";
import { executeCommandRequest } from "../../src/shared/sdk.js";
import type { RunningEmulator } from "../../src/emulator/start.js";
import { edgeClient, getJson, patchConfig, signIn, startTestEmulator, tempDir, type SignedInDevice } from "../support/emulator.js";

let emulator: RunningEmulator;
let device: SignedInDevice;

// One emulator per test: each starts from an empty replay store.
beforeEach(async () => {
  emulator = await startTestEmulator();
  device = await signIn(emulator.url);
});
afterEach(() => emulator.close());

/** The answer to one send: "ok" (executed, signed result_code) or the rejection's code, reason and stage. */
async function send(req: ExecuteCommandRequest) {
  try {
    const res = await edgeClient(emulator.url).executeCommand(req);
    return { resultCode: res.envelope!.resultCode };
  } catch (err) {
    const e = ConnectError.from(err);
    const [detail] = e.findDetails(GatewayErrorSchema);
    return { code: e.code, reason: detail?.reason, stage: detail?.stage };
  }
}

/** How many times the gateway let R through to the backend, per its journal. */
async function executions(requestId: string): Promise<number> {
  const entries = (await getJson(`${emulator.url}/emulator/v1/journal`)).json.entries as Array<{ request_id: string; code: string }>;
  return entries.filter((e) => e.request_id === requestId && e.code === "ok").length;
}

/**
 * R: a state-changing command signed now. Its timestamp is half the 1,000 ms window ahead of this
 * clock, so it is fresh on arrival even if the send takes up to 1.5 s on a loaded machine.
 */
const signR = () =>
  executeCommandRequest(device, { messageType: "user.profile.update", payload: { display_name: "Garrus" }, timestampMs: Date.now() + 500 });

describe("replay across live config changes (issue 10.3)", () => {
  it("the probe: window 1,000 ms, R ok, 4.5 s later the window goes to 60,000 ms, R again → refused, executed once", async () => {
    await patchConfig(emulator.url, { freshness_window_ms: 1_000 });
    const r = signR();
    expect(await send(r)).toEqual({ resultCode: "ok" });
    await patchConfig(emulator.url, { clock_offset_ms: 4_500 }); // the gateway clock is now 4.5 s later
    await patchConfig(emulator.url, { freshness_window_ms: 60_000 }); // R's timestamp is fresh again
    expect(await send(r)).toEqual({ code: Code.AlreadyExists, reason: "replayed_request", stage: "replay" });
    expect(await executions(r.envelope!.requestId)).toBe(1);
  });

  it("moving the clock offset back over a forgotten reservation: R again → refused, executed once", async () => {
    await patchConfig(emulator.url, { freshness_window_ms: 1_000 });
    const r = signR();
    expect(await send(r)).toEqual({ resultCode: "ok" });
    // 8 s later another request arrives; R is older than 2 windows plus the 5 s a call may take to
    // reach the replay stage by then, and the store lets it go.
    await patchConfig(emulator.url, { clock_offset_ms: 8_000 });
    const later = executeCommandRequest(device, { messageType: "user.profile.get", timestampMs: Date.now() + 8_000 });
    expect(await send(later)).toEqual({ resultCode: "ok" });
    // Then the gateway clock is set back to R's own timestamp: R is as fresh as on its first send.
    await patchConfig(emulator.url, { clock_offset_ms: Math.round(Number(r.envelope!.timestampMs) - Date.now()) });
    expect(await send(r)).toEqual({ code: Code.Unauthenticated, reason: "stale_request", stage: "replay" });
    expect(await executions(r.envelope!.requestId)).toBe(1);
  });

  it("a new request with a current timestamp still passes after both changes", async () => {
    await patchConfig(emulator.url, { freshness_window_ms: 1_000 });
    expect(await send(signR())).toEqual({ resultCode: "ok" });
    await patchConfig(emulator.url, { clock_offset_ms: 4_500, freshness_window_ms: 60_000 });
    const next = executeCommandRequest(device, { messageType: "user.profile.get", timestampMs: Date.now() + 4_500 });
    expect(await send(next)).toEqual({ resultCode: "ok" });
  });

  it("a gateway restarted on the same state dir (sessions survive) does not let R through again", async () => {
    const stateDir = tempDir();
    await emulator.close();
    emulator = await startTestEmulator({ stateDir });
    device = await signIn(emulator.url);
    // Signed at the gateway's clock, not ahead of it: the restart happens after it (see SECURITY.md).
    const r = executeCommandRequest(device, { messageType: "user.profile.update", payload: { display_name: "Tali" }, timestampMs: Date.now() });
    expect(await send(r)).toEqual({ resultCode: "ok" });
    await emulator.close();
    emulator = await startTestEmulator({ stateDir });
    expect(await send(r)).toEqual({ code: Code.Unauthenticated, reason: "stale_request", stage: "replay" });
    // The device session itself survived: a request signed now passes.
    const next = executeCommandRequest(device, { messageType: "user.profile.get" });
    expect(await send(next)).toEqual({ resultCode: "ok" });
  });
});
