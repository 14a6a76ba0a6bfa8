// How playback matches (README "Record and play back"), from a hand-written recording: volatile fields
// (request ids, clock readings) are left out of a mapping's match, so fresh values still match, while
// game ids (`ship_id`) are matched; `playback.json` ignores more per message type; one call answered
// differently over time answers in the recorded order, then repeats the last; a recorded business
// error comes back with its message.
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { startEmulator, type RunningEmulator } from "../../src/emulator/start.js";
import { fromUtf8, toBase64Url } from "../../src/shared/bytes.js";
import { generateSeed, publicKeyFromSeed } from "../../src/shared/ed25519.js";
import { executeCommandRequest, verifyResponse, type DeviceIdentity } from "../../src/shared/sdk.js";
import { edgeClient, gatewayPublicKey, tempDir } from "../support/emulator.js";

const running: RunningEmulator[] = [];
afterEach(async () => {
  for (const e of running.splice(0)) await e.close();
});

const USER = "u_recorded";
const SESSION = "ds_recorded";

function command(atMs: number, messageType: string, body: unknown, status: number, answer: unknown) {
  return { kind: "command", at_ms: atMs, message_type: messageType, method: "POST", path: `/api/v1/user/stubs/${messageType}`, body, user_id: USER, device_session_id: SESSION, status, answer };
}

/** A recording folder holding `records` after a session lookup of a device whose key is `seed`'s. */
function recording(seed: Uint8Array, records: unknown[], playbackConfig?: unknown): string {
  const dir = path.join(tempDir("gge-play-"), "rec");
  mkdirSync(dir);
  const header = { kind: "recording", version: 1, started_at_ms: 1_700_000_000_000, backend: "https://backend.example", secrets: false, redact: ["code"] };
  const session = {
    kind: "session",
    at_ms: 1,
    device_session_id: SESSION,
    status: 200,
    answer: { device_session_id: SESSION, user_id: USER, client_public_key: toBase64Url(publicKeyFromSeed(seed)), status: "active", created_at_ms: 1 },
  };
  writeFileSync(path.join(dir, "recording.jsonl"), [header, session, ...records].map((r) => JSON.stringify(r) + "\n").join(""));
  if (playbackConfig !== undefined) writeFileSync(path.join(dir, "playback.json"), JSON.stringify(playbackConfig));
  return dir;
}

async function playback(dir: string) {
  const emulator = await startEmulator({ port: 0, stateDir: tempDir(), playbackDir: dir });
  running.push(emulator);
  const key = await gatewayPublicKey(emulator.url);
  return async (device: DeviceIdentity, messageType: string, payload: unknown) => {
    const request = executeCommandRequest(device, { messageType, payload });
    const response = await edgeClient(emulator.url).executeCommand(request);
    expect(verifyResponse(response, key, { requestId: request.envelope!.requestId })).toEqual({ ok: true });
    return { resultCode: response.envelope!.resultCode, payload: JSON.parse(fromUtf8(response.payloadBytes)) as unknown };
  };
}

describe("playback matching", () => {
  it("fresh request ids and timestamps still match; a different ship_id does not", async () => {
    const seed = generateSeed();
    const dir = recording(seed, [
      command(10, "game.ship.move", { ship_id: "s1", to: "mars", client_request_id: "r-1", sent_at_ms: 1_700_000_000_010 }, 200, { moved: "s1" }),
    ]);
    const call = await playback(dir);
    const device = { deviceSessionId: SESSION, seed };
    expect(await call(device, "game.ship.move", { ship_id: "s1", to: "mars", client_request_id: "r-fresh", sent_at_ms: Date.now() })).toEqual({
      resultCode: "ok",
      payload: { moved: "s1" },
    });
    expect((await call(device, "game.ship.move", { ship_id: "s2", to: "mars", client_request_id: "r-2", sent_at_ms: Date.now() })).resultCode).toBe("stub_not_matched");
  });

  it("playback.json ignores a path per message type", async () => {
    const seed = generateSeed();
    const dir = recording(seed, [command(10, "game.ship.move", { ship_id: "s1", to: "mars" }, 200, { moved: "s1" })], {
      ignore: { "game.ship.move": ["payload.to"] },
    });
    const call = await playback(dir);
    expect(await call({ deviceSessionId: SESSION, seed }, "game.ship.move", { ship_id: "s1", to: "venus" })).toEqual({ resultCode: "ok", payload: { moved: "s1" } });
  });

  it("one call answered differently over time answers in the recorded order, then repeats the last; a business error keeps its message", async () => {
    const seed = generateSeed();
    const error = { error: { code: "out_of_fuel", message: "ship s1 has no fuel left" }, fuel: 0 };
    const dir = recording(seed, [
      command(10, "game.ship.fuel", { ship_id: "s1" }, 200, { fuel: 2 }),
      command(20, "game.ship.fuel", { ship_id: "s1" }, 200, { fuel: 1 }),
      command(30, "game.ship.fuel", { ship_id: "s1" }, 422, error),
    ]);
    const call = await playback(dir);
    const device = { deviceSessionId: SESSION, seed };
    const answers = [];
    for (let i = 0; i < 4; i++) answers.push(await call(device, "game.ship.fuel", { ship_id: "s1" }));
    expect(answers).toEqual([
      { resultCode: "ok", payload: { fuel: 2 } },
      { resultCode: "ok", payload: { fuel: 1 } },
      { resultCode: "out_of_fuel", payload: error },
      { resultCode: "out_of_fuel", payload: error },
    ]);
  });
});
