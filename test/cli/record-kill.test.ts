// A recording cut by kill -9 (README "Record and play back"): the emulator CLI (the built bin) records a
// session against a "real" backend (the mock backend CLI with its own token) and is killed while its
// event stream is open; the recording, even with a line torn by the kill, still plays back: the same
// device key gets the recorded answers, client-verified.
import { appendFileSync } from "node:fs";
import path from "node:path";
import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it, vi } from "vitest";
import { startEmulator } from "../../src/emulator/start.js";
import { fromUtf8 } from "../../src/shared/bytes.js";
import { executeCommandRequest, verifyResponse, type DeviceIdentity } from "../../src/shared/sdk.js";
import { killProcessesNaming, ROOT, spawnChild, startBackendChild } from "../hardening/children.js";
import { edgeClient, gatewayPublicKey, getJson, postJson, signIn, subscribe, tempDir } from "../support/emulator.js";

const TEST_TIMEOUT_MS = 60_000;
const READY = /^Gateway emulator ready at (http:\/\/127\.0\.0\.1:\d+)$/;
const pkg = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as { bin: Record<string, string> };
const BIN = path.join(ROOT, pkg.bin["galaxy-gateway-emulator"]!);

const cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function call(url: string, device: DeviceIdentity, pinned: Uint8Array, messageType: string, payload: unknown) {
  const request = executeCommandRequest(device, { messageType, payload });
  const response = await edgeClient(url).executeCommand(request);
  return {
    resultCode: response.envelope?.resultCode,
    payload: JSON.parse(fromUtf8(response.payloadBytes)) as unknown,
    verification: verifyResponse(response, pinned, { requestId: request.envelope!.requestId }),
  };
}

describe("--record cut by kill -9", () => {
  it(
    "the recording left by a killed emulator (a torn last line included) still plays back",
    async () => {
      const upstreamDir = tempDir("gge-upstream-");
      const stateDir = tempDir("gge-state-");
      cleanups.push(() => killProcessesNaming(upstreamDir), () => killProcessesNaming(stateDir));
      const upstream = await startBackendChild(0, upstreamDir);
      const recordDir = path.join(tempDir("gge-rec-"), "recording");
      const child = spawnChild(
        process.execPath,
        [BIN, "--port", "0", "--state-dir", stateDir, "--backend", upstream.url, "--backend-token-file", path.join(upstreamDir, "backend-token"), "--record", recordDir],
        { label: "emulator" },
      );
      const [, url] = await child.line(READY);
      const pinned = await gatewayPublicKey(url!);
      const device = await signIn(url!);
      const stream = subscribe(url!, device);
      cleanups.push(() => stream.cancel());
      const updated = await call(url!, device, pinned, "user.profile.update", { display_name: "Killed Pilot" });
      const profile = await call(url!, device, pinned, "user.profile.get", {});
      expect(profile).toMatchObject({ resultCode: "ok", verification: { ok: true }, payload: { display_name: "Killed Pilot" } });
      expect((await postJson(`${url}/emulator/v1/push`, { client_event: { user_id: device.userId, event_type: "test.cut", payload: {} } })).status).toBe(200);
      for (;;) if ((await stream.next()).envelope!.eventType === "test.cut") break;
      // Every exchange so far is on disk (fsynced) before the kill.
      await vi.waitFor(async () => {
        const status = (await getJson(`${url}/emulator/v1/recording`)).json;
        expect(status.written).toBe(status.counts.commands + status.counts.session_lookups + status.counts.auth_calls + status.counts.pushes);
      }, { timeout: 10_000 });

      await child.kill9(); // mid-session: its event stream is still open
      await upstream.kill9();
      // What a kill in the middle of a write leaves: a line without its end.
      appendFileSync(path.join(recordDir, "recording.jsonl"), '{"kind":"command","at_ms":12,"message_type":"user.pro');

      const playback = await startEmulator({ port: 0, stateDir: tempDir(), playbackDir: recordDir });
      cleanups.push(() => playback.close());
      const key = await gatewayPublicKey(playback.url);
      expect(await call(playback.url, device, key, "user.profile.update", { display_name: "Killed Pilot" })).toEqual({ ...updated, verification: { ok: true } });
      expect(await call(playback.url, device, key, "user.profile.get", {})).toEqual({ ...profile, verification: { ok: true } });
    },
    TEST_TIMEOUT_MS,
  );
});
