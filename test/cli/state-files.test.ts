// --export-on-exit and --import across two emulator processes (the built bin), as a CI job saving and
// restoring its emulator would: the state written on SIGTERM, atomically and private (0600); a fresh
// emulator importing it keeps the gateway identity clients pinned, and a device session made on the
// first keeps working with the same device key (a client-verified signed call), revoked flags intact.
// A document the emulator refuses stops the start with the path named.
import { statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { readFileSync } from "node:fs";
import { ConnectError } from "@connectrpc/connect";
import { afterEach, describe, expect, it } from "vitest";
import { toBase64Url } from "../../src/shared/bytes.js";
import { generateSeed, publicKeyFromSeed } from "../../src/shared/ed25519.js";
import { killProcessesNaming, ROOT, spawnChild, type Child } from "../hardening/children.js";
import { gatewayPublicKey, postJson, signIn, tempDir } from "../support/emulator.js";
import { signedCall } from "../support/signed-call.js";

const TEST_TIMEOUT_MS = 60_000;
const READY = /^Gateway emulator ready at (http:\/\/127\.0\.0\.1:\d+)$/;
const pkg = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as { bin: Record<string, string> };
const BIN = path.join(ROOT, pkg.bin["galaxy-gateway-emulator"]!);

const stateDirs: string[] = [];
afterEach(() => {
  for (const dir of stateDirs.splice(0)) killProcessesNaming(dir);
});

function newStateDir(): string {
  const dir = tempDir("gge-state-");
  stateDirs.push(dir);
  return dir;
}

function emulatorProcess(stateDir: string, flags: string[]): Child {
  return spawnChild(process.execPath, [BIN, "--port", "0", "--state-dir", stateDir, ...flags], { label: "emulator" });
}

describe("--export-on-exit and --import", () => {
  it(
    "a session exported on SIGTERM and imported into a fresh emulator keeps working with the same device key",
    async () => {
      const first = newStateDir();
      const file = path.join(first, "state.json");
      const a = emulatorProcess(first, ["--export-on-exit", file]);
      const [, urlA] = await a.line(READY);
      const pinned = await gatewayPublicKey(urlA!);
      const device = await signIn(urlA!);
      const seed = generateSeed();
      const seeded = await postJson(`${urlA}/emulator/v1/sessions`, { email: "seeded@example.com", client_public_key: toBase64Url(publicKeyFromSeed(seed)) });
      const revoked = await signIn(urlA!);
      await postJson(`${urlA}/emulator/v1/push`, { session_invalidation: { user_id: revoked.userId, reason: "test" } });
      expect(await signedCall(urlA!, device, pinned)).toEqual({ resultCode: "ok", verification: { ok: true } });

      a.process.kill("SIGTERM");
      expect(await a.exited).toEqual([0, null]);
      expect(a.lines).toContain(`emulator: state exported to ${file}`);
      expect(statSync(file).mode & 0o777).toBe(0o600);

      const second = newStateDir();
      const b = emulatorProcess(second, ["--import", file]);
      const [, urlB] = await b.line(READY);
      expect(urlB).not.toBe(urlA);
      expect(await gatewayPublicKey(urlB!)).toEqual(pinned);
      expect(await signedCall(urlB!, device, pinned)).toEqual({ resultCode: "ok", verification: { ok: true } });
      const seededDevice = { deviceSessionId: seeded.json.device_session_id, seed };
      expect(await signedCall(urlB!, seededDevice, pinned)).toEqual({ resultCode: "ok", verification: { ok: true } });
      const refused = await signedCall(urlB!, revoked, pinned).catch((err: unknown) => err);
      expect(refused).toBeInstanceOf(ConnectError);

      b.process.kill("SIGTERM");
      expect(await b.exited).toEqual([0, null]);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "a state document the emulator refuses: it does not start, and says which path is wrong",
    async () => {
      const dir = newStateDir();
      const file = path.join(dir, "bad.json");
      writeFileSync(file, JSON.stringify({ version: 1, gateway: { signing_key: { seed: "AAAA" }, config: {} }, backend: {} }));
      const child = emulatorProcess(dir, ["--import", file]);
      expect(await child.exited).toEqual([1, null]);
      expect(child.stderr()).toMatch(/emulator: cannot start: gateway\.signing_key\.seed: must be base64url/);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "an --import file that is not JSON: exit 2 with the file named",
    async () => {
      const dir = newStateDir();
      const file = path.join(dir, "torn.json");
      writeFileSync(file, '{"version":1,');
      const child = emulatorProcess(dir, ["--import", file]);
      expect(await child.exited).toEqual([2, null]);
      expect(child.stderr()).toContain(`emulator: --import ${file}: not JSON`);
    },
    TEST_TIMEOUT_MS,
  );
});
