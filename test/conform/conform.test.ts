// The conformance run in-process (src/conform/runner.ts), against fake gateways each broken in one
// way: the checks that look at the broken thing fail, with a reason that says what was wrong, and no
// other check does. Also: the bounds (a hung gateway cannot hold the run), the emulator's control-plane
// token, and the device key file's three spellings.
import { generateKeyPairSync } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { parseDeviceKey, DeviceKeyError } from "../../src/conform/device-key.js";
import { runConformance, type CheckResult, type ConformOptions } from "../../src/conform/runner.js";
import { toBase64Url, toHex } from "../../src/shared/bytes.js";
import { fakeDevice } from "../support/conform.js";
import { startEmulator } from "../../src/emulator/start.js";
import { tempDir } from "../support/emulator.js";
import { startFakeGateway, type FakeFaults } from "../support/fake-gateway.js";

const ALL = ["connect", "grpc", "grpcweb"] as const;
const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

async function runAgainstFake(faults: FakeFaults, options: Partial<ConformOptions> = {}) {
  const device = fakeDevice();
  const fake = await startFakeGateway(device, faults);
  closers.push(() => fake.close());
  return runConformance({ target: fake.url, protocols: ALL, device: { deviceSessionId: device.deviceSessionId, seed: device.seed }, ...options });
}

const failures = (results: CheckResult[]) => results.filter((r) => r.outcome === "fail").map((r) => `${r.id} ${r.protocol}: ${r.reason}`);
const everyProtocol = (id: string, reason: string) => ALL.map((p) => `${id} ${p}: ${reason}`);

describe("conform against a gateway broken in one way", () => {
  it("a correct fake passes every check a real gateway allows (the control-plane ones are skipped)", async () => {
    const report = await runAgainstFake({});
    expect(failures(report.results)).toEqual([]);
    expect(report.results.filter((r) => r.outcome === "skip").map((r) => r.id)).toEqual([
      "mailbox-sign-in",
      ...ALL.flatMap(() => ["push-delivery", "session-invalidation"]),
    ]);
  });

  it.each<[string, FakeFaults, string[]]>([
    ["responses signed with a key other than the published one", { responsesSignedWithAnotherKey: true }, everyProtocol("signed-response", "response: bad signature")],
    [
      "an unsigned gateway.server_time",
      { unsignedServerTime: true },
      everyProtocol("subscribe-server-time", "gateway.server_time event: bad signature"),
    ],
    [
      "a reason of its own for stale requests",
      { staleReason: "expired" },
      everyProtocol("stale-request", "120000 ms old: expected UNAUTHENTICATED stale_request at freshness, got UNAUTHENTICATED expired at freshness"),
    ],
  ])("%s: exactly the checks that look at it fail, saying why", async (_what, faults, expected) => {
    const report = await runAgainstFake(faults);
    expect(failures(report.results)).toEqual(expected);
  });
});

describe("bounds", () => {
  it("a gateway that never answers ExecuteCommand fails those checks at the per-check timeout, and the run ends", async () => {
    const report = await runAgainstFake({ hangExecuteCommand: true }, { checkTimeoutMs: 300 });
    const byId = (id: string) => report.results.filter((r) => r.id === id);
    for (const id of ["signed-response", "unknown-session", "replayed-request"]) {
      expect(byId(id).map((r) => r.reason)).toEqual(ALL.map(() => "timed out after 300 ms"));
    }
    // The streams do not go through ExecuteCommand: they still pass.
    expect(byId("subscribe-server-time").map((r) => r.outcome)).toEqual(["pass", "pass", "pass"]);
  });

  it("the run's time limit fails the checks it leaves unrun, and the run ends", async () => {
    const report = await runAgainstFake({ hangExecuteCommand: true }, { checkTimeoutMs: 300, timeLimitMs: 1_000 });
    const notRun = report.results.filter((r) => r.reason === "not run: the run's time limit (1000 ms) was reached");
    expect(notRun.length).toBeGreaterThan(0);
    expect(notRun.every((r) => r.outcome === "fail")).toBe(true);
    // Every check has its verdict: none is missing from the report.
    expect(report.results).toHaveLength(2 + 13 * ALL.length);
  });
});

describe("an emulator with a control-plane token", () => {
  const TOKEN = "conform-test-token";

  it("without the token: the control-plane checks are skipped and say how to give it; with it, every check passes", async () => {
    const emulator = await startTestEmulatorWithToken(TOKEN);
    const without = await runConformance({ target: emulator.url, protocols: ["connect"] });
    const skipped = without.results.filter((r) => r.outcome === "skip");
    expect(skipped.map((r) => r.id)).toContain("push-delivery");
    expect(skipped.every((r) => r.reason.includes("give --token-file or $GALAXY_EMULATOR_TOKEN") || r.reason.startsWith("needs a device session"))).toBe(true);
    expect(failures(without.results)).toEqual([]);

    const withToken = await runConformance({ target: emulator.url, protocols: ["connect"], controlToken: TOKEN });
    expect(withToken.results.map((r) => r.outcome)).toEqual(withToken.results.map(() => "pass"));
  });
});

async function startTestEmulatorWithToken(token: string) {
  // Two sign-ins (one device, one for the invalidation) fit the default sign-in budget: no PATCH needed.
  const emulator = await startEmulator({ port: 0, stateDir: tempDir(), accessToken: token });
  closers.push(() => emulator.close());
  return emulator;
}

describe("the device key file", () => {
  it("reads the same seed from PKCS#8 PEM, base64url and hex", () => {
    const { privateKey } = generateKeyPairSync("ed25519");
    const pem = privateKey.export({ type: "pkcs8", format: "pem" }) as string;
    const seed = parseDeviceKey(pem);
    expect(seed).toHaveLength(32);
    expect(parseDeviceKey(`  ${toBase64Url(seed)}\n`)).toEqual(seed);
    expect(parseDeviceKey(toHex(seed).toUpperCase())).toEqual(seed);
  });

  it.each([
    ["an RSA key", () => generateKeyPairSync("rsa", { modulusLength: 1024 }).privateKey.export({ type: "pkcs8", format: "pem" }) as string, "a rsa key, not Ed25519"],
    ["31 bytes of hex", () => "ab".repeat(31), "not a device key"],
    ["a broken PEM", () => "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", "not a readable PEM private key"],
  ])("refuses %s", (_what, text, message) => {
    expect(() => parseDeviceKey(text())).toThrow(DeviceKeyError);
    expect(() => parseDeviceKey(text())).toThrow(message);
  });
});
