// Record and play back (README "Record and play back"): an emulator in front of a "real" backend (the
// mock backend run alone, `npm run backend`, with its own token) records a session — sign-in, every
// default route, a business error, pushes — then the upstream stops, and an emulator playing the
// recording back answers the same client actions (same device key, fresh request ids and timestamps)
// with the same payloads and result codes, client-verified, and replays the pushes in order.
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { Code, ConnectError } from "@connectrpc/connect";
import { afterEach, describe, expect, it } from "vitest";
import { fromUtf8 } from "../../src/shared/bytes.js";
import { startEmulator, type RunningEmulator } from "../../src/emulator/start.js";
import { startMockBackend } from "../../src/backend/server.js";
import { generateBackendToken } from "../../src/node/backend-token.js";
import { executeCommandRequest, verifyEvent, verifyResponse, type DeviceIdentity } from "../../src/shared/sdk.js";
import { generateSeed } from "../../src/shared/ed25519.js";
import { killProcessesNaming, startBackendChild } from "../hardening/children.js";
import { edgeClient, gatewayPublicKey, getJson, patchConfig, postJson, signIn, subscribe, tempDir, type SignedInDevice } from "../support/emulator.js";

const TEST_TIMEOUT_MS = 60_000;
const RELAXED = { public_rate_limits: { per_ip: { rate_per_s: 1000, burst: 10_000 } } };

const cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function emulator(options: Parameters<typeof startEmulator>[0]): Promise<RunningEmulator> {
  const running = await startEmulator(options);
  cleanups.push(() => running.close());
  await patchConfig(running.url, RELAXED);
  return running;
}

interface Outcome {
  messageType: string;
  resultCode: string | undefined;
  payload: unknown;
  verification: unknown;
}

/** One signed ExecuteCommand, its answer checked against the pinned gateway key (fresh request id and timestamp each time). */
async function call(url: string, device: DeviceIdentity, pinned: Uint8Array, messageType: string, payload: unknown): Promise<Outcome> {
  const request = executeCommandRequest(device, { messageType, payload });
  const response = await edgeClient(url).executeCommand(request);
  return {
    messageType,
    resultCode: response.envelope?.resultCode,
    payload: JSON.parse(fromUtf8(response.payloadBytes)),
    verification: verifyResponse(response, pinned, { requestId: request.envelope!.requestId, deviceSessionId: device.deviceSessionId }),
  };
}

/** Every default route, and a business error; the same list recorded and played back. */
function actions(device: SignedInDevice, other: SignedInDevice): [string, unknown][] {
  return [
    ["user.profile.get", {}],
    ["user.profile.update", { display_name: "Recorded Pilot" }],
    ["user.profile.get", {}],
    ["user.sessions.list", {}],
    ["user.sessions.revoke", { device_session_id: other.deviceSessionId }],
    ["game.chat.send", { to_user_id: device.userId, text: "o7 recorded" }],
    ["game.fleet.dispatch", { from_planet: "earth", to_planet: "mars", ships: 10 }],
    ["game.fleet.dispatch", { from_planet: "earth", to_planet: "earth", ships: 1 }],
  ];
}

/** The user's events (not the gateway's own), verified, until one of `lastType` arrives. */
async function eventsUntil(stream: ReturnType<typeof subscribe>, pinned: Uint8Array, lastType: string) {
  const seen: { type: string; payload: unknown; verification: unknown }[] = [];
  for (;;) {
    const event = await stream.next();
    const type = event.envelope!.eventType;
    if (type.startsWith("gateway.")) continue;
    seen.push({ type, payload: JSON.parse(fromUtf8(event.payloadBytes)), verification: verifyEvent(event, pinned) });
    if (type === lastType) return seen;
  }
}

describe("--record and --playback", () => {
  it(
    "a recorded session plays back offline: same payloads and result codes, same device key, pushes in order, secrets redacted",
    async () => {
      const upstreamDir = tempDir("gge-upstream-");
      cleanups.push(() => killProcessesNaming(upstreamDir));
      const upstream = await startBackendChild(0, upstreamDir);
      const recordDir = path.join(tempDir("gge-rec-"), "recording");
      const recording = await emulator({ port: 0, stateDir: tempDir(), backend: upstream.url, backendToken: upstream.token, record: { dir: recordDir } });
      const pinned = await gatewayPublicKey(recording.url);

      const email = "recorded@example.com";
      const device = await signIn(recording.url, email);
      const other = await signIn(recording.url, email);
      const loginCodes = (await getJson(`${recording.url}/emulator/v1/mailbox?email=${encodeURIComponent(email)}`)).json.messages.map((m: { code: string }) => m.code) as string[];
      const stream = subscribe(recording.url, device);
      cleanups.push(() => stream.cancel());
      const recorded: Outcome[] = [];
      for (const [type, payload] of actions(device, other)) recorded.push(await call(recording.url, device, pinned, type, payload));
      expect(recorded.map((o) => o.resultCode)).toEqual(["ok", "ok", "ok", "ok", "ok", "ok", "ok", "same_planet"]);
      expect(recorded.every((o) => (o.verification as { ok: boolean }).ok)).toBe(true);
      for (const n of ["one", "two"]) {
        const pushed = await postJson(`${recording.url}/emulator/v1/push`, { client_event: { user_id: device.userId, event_type: `test.${n}`, payload: { n } } });
        expect(pushed.status).toBe(200);
      }
      const recordedEvents = await eventsUntil(stream, pinned, "test.two");
      expect(recordedEvents.map((e) => e.type)).toEqual(["game.chat.message", "test.one", "test.two"]);

      const status = (await getJson(`${recording.url}/emulator/v1/recording`)).json;
      expect(status).toMatchObject({ mode: "recording", recording: true, dir: recordDir, secrets_redacted: true });
      expect(status.counts).toMatchObject({ commands: 8, auth_calls: 4 });
      expect(status.counts.pushes).toBeGreaterThanOrEqual(4); // chat, revoke's invalidation, test.one, test.two
      const stopped = await postJson(`${recording.url}/emulator/v1/recording/stop`, {});
      expect(stopped.json).toMatchObject({ recording: false, stop_reason: "stopped" });
      expect(stopped.json.written).toBe(stopped.json.counts.commands + stopped.json.counts.session_lookups + stopped.json.counts.auth_calls + stopped.json.counts.pushes);
      // Redaction is on by default: the login code the user typed is not in the recording.
      const text = readFileSync(path.join(recordDir, "recording.jsonl"), "utf8");
      expect(text).toContain('"code":"[redacted]"');
      expect(loginCodes).toHaveLength(2);
      for (const code of loginCodes) expect(text).not.toContain(`"${code}"`);
      expect(text).toContain('"code":"same_planet"'); // a business error's code is not a secret

      stream.cancel();
      await recording.close();
      await upstream.kill9(); // the upstream is gone: playback is offline

      const playback = await emulator({ port: 0, stateDir: tempDir(), playbackDir: recordDir });
      const playbackKey = await gatewayPublicKey(playback.url);
      expect((await getJson(`${playback.url}/emulator/v1/recording`)).json).toMatchObject({ mode: "playback", recording: false, dir: recordDir });
      // The recorded device (same key, same device session) keeps working; its stream gets the replayed pushes.
      const replayStream = subscribe(playback.url, device);
      cleanups.push(() => replayStream.cancel());
      const replayed: Outcome[] = [];
      for (const [type, payload] of actions(device, other)) replayed.push(await call(playback.url, device, playbackKey, type, payload));
      expect(replayed.map(({ messageType, resultCode, payload }) => ({ messageType, resultCode, payload }))).toEqual(
        recorded.map(({ messageType, resultCode, payload }) => ({ messageType, resultCode, payload })),
      );
      expect(replayed.every((o) => (o.verification as { ok: boolean }).ok)).toBe(true);

      // The recorded commands are ordinary stub mappings, listed like any other.
      const stubs = (await getJson(`${playback.url}/emulator/v1/stubs`)).json.stubs as { message_type: string; matched_count: number }[];
      expect(new Set(stubs.map((s) => s.message_type))).toEqual(new Set(recorded.map((o) => o.messageType)));
      expect(stubs.reduce((n, s) => n + s.matched_count, 0)).toBe(recorded.length);

      const replay = await postJson(`${playback.url}/emulator/v1/recording/replay-pushes`, { timing: "fast" });
      expect(replay.status).toBe(200);
      const replayedEvents = await eventsUntil(replayStream, playbackKey, "test.two");
      expect(replayedEvents.map(({ type, payload }) => ({ type, payload }))).toEqual(recordedEvents.map(({ type, payload }) => ({ type, payload })));
      expect(replayedEvents.every((e) => (e.verification as { ok: boolean }).ok)).toBe(true);

      // Signing in works offline too (the mock's own e-mail code flow), as the recorded user.
      const again = await signIn(playback.url, email);
      expect(again.userId).toBe(device.userId);
    },
    TEST_TIMEOUT_MS,
  );

  it("an unreachable backend while recording: the same backend_unavailable answers, and nothing recorded for them", async () => {
    const token = generateBackendToken();
    const gone = await startMockBackend({ token });
    await gone.close(); // its port now refuses connections
    const recordDir = path.join(tempDir("gge-rec-"), "recording");
    const recording = await emulator({ port: 0, stateDir: tempDir(), backend: gone.url, backendToken: token, record: { dir: recordDir } });

    const sent = await postJson(`${recording.url}/api/v1/public/auth/send-email-code`, { email: "nobody@example.com" });
    expect(sent.status).toBe(503);
    expect(sent.json.error.code).toBe("backend_unavailable");
    const device = { deviceSessionId: "ds_unknown", seed: generateSeed() };
    const refused = await edgeClient(recording.url)
      .executeCommand(executeCommandRequest(device, { messageType: "user.profile.get", payload: {} }))
      .catch((err: unknown) => ConnectError.from(err));
    expect(refused).toBeInstanceOf(ConnectError);
    expect((refused as ConnectError).code).toBe(Code.Unavailable);
    expect((refused as ConnectError).rawMessage).toContain("backend");

    const status = (await getJson(`${recording.url}/emulator/v1/recording`)).json;
    expect(status.counts).toEqual({ commands: 0, session_lookups: 0, auth_calls: 0, pushes: 0 });
    await recording.close();
    const lines = readFileSync(path.join(recordDir, "recording.jsonl"), "utf8").trim().split("\n");
    expect(lines).toHaveLength(1); // the header only
    expect(JSON.parse(lines[0]!)).toMatchObject({ kind: "recording", secrets: false });
  });

  it("a malformed recording: the start fails naming the file, the line and the JSON path, and nothing is served", async () => {
    const dir = tempDir("gge-bad-rec-");
    const file = path.join(dir, "recording.jsonl");
    const header = { kind: "recording", version: 1, started_at_ms: 1, backend: "http://127.0.0.1:1", secrets: false, redact: ["code"] };
    const good = { kind: "session", at_ms: 1, device_session_id: "ds_1", status: 404 };
    const bad = { kind: "command", at_ms: 2, message_type: 7, method: "GET", path: "/api/v1/user/profile", user_id: "u", device_session_id: "ds_1", status: 200 };
    writeFileSync(file, [header, good, bad].map((r) => JSON.stringify(r)).join("\n") + "\n");
    await expect(startEmulator({ port: 0, stateDir: tempDir(), playbackDir: dir })).rejects.toThrow(`${file}:3: $.message_type: must be a string`);

    writeFileSync(file, [header, good].map((r) => JSON.stringify(r)).join("\n") + "\n");
    writeFileSync(path.join(dir, "playback.json"), JSON.stringify({ ignore: { "game.shop.buy": ["cart.ts"] } }));
    await expect(startEmulator({ port: 0, stateDir: tempDir(), playbackDir: dir })).rejects.toThrow(
      `${path.join(dir, "playback.json")}: $.ignore["game.shop.buy"][0]: must be a path like "payload.a.b"`,
    );
  });
});
