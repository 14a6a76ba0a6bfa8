// `galaxy-gateway-emulator conform` as CI runs it: the built bin as a child process, its exit status,
// its table and its JUnit report. Green against the emulator on all three protocols; red against a
// fake gateway that skips the signature check, naming exactly the checks that catch it; 2 on usage errors.
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningEmulator } from "../../src/emulator/start.js";
import { fakeDevice, parseJunit, runConformBin } from "../support/conform.js";
import { startTestEmulator, tempDir } from "../support/emulator.js";
import { startFakeGateway, type FakeGateway } from "../support/fake-gateway.js";

const RPC_CHECKS = [
  "signed-response",
  "malformed-envelope",
  "unsupported-version",
  "unknown-session",
  "payload-hash-mismatch",
  "bad-signature",
  "stale-request",
  "replayed-request",
  "unknown-message-type",
  "subscribe-server-time",
  "subscribe-bad-signature",
  "push-delivery",
  "session-invalidation",
];
const PROTOCOLS = ["connect", "grpc", "grpcweb"];
const CONTROL_PLANE_CHECKS = ["mailbox-sign-in", "push-delivery", "session-invalidation"];

describe("conform against the emulator", () => {
  let emulator: RunningEmulator;
  beforeAll(async () => {
    emulator = await startTestEmulator();
  });
  afterAll(() => emulator.close());

  it("passes every check on Connect, gRPC and gRPC-Web: exit 0, the table, a JUnit report CI can read", async () => {
    const junit = path.join(tempDir(), "reports", "conform.xml");
    const run = await runConformBin(["--target", emulator.url, "--junit", junit]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`conform ${emulator.url}: Connect, gRPC, gRPC-Web; emulator control plane: yes`);
    expect(run.stdout).toMatch(/\n41 passed, 0 failed, 0 skipped in /);
    expect(run.stdout.split("\n").filter((line) => /\b(FAIL|skip)\b/.test(line))).toEqual([]);

    const report = parseJunit(readFileSync(junit, "utf8"));
    expect(report.root).toMatchObject({ tests: "41", failures: "0", errors: "0", skipped: "0" });
    expect(report.suites.map((s) => s.name)).toEqual(["conform REST", "conform Connect", "conform gRPC", "conform gRPC-Web"]);
    const expected = [
      ...["gateway-info", "mailbox-sign-in"].map((id) => ({ classname: "conform.rest", id, outcome: "pass" })),
      ...PROTOCOLS.flatMap((p) => RPC_CHECKS.map((id) => ({ classname: `conform.${p}`, id, outcome: "pass" }))),
    ];
    expect(report.cases.map(({ classname, id, outcome }) => ({ classname, id, outcome }))).toEqual(expected);
  });

  it("--protocols runs only the protocols named", async () => {
    const run = await runConformBin(["--target", emulator.url, "--protocols", "grpcweb"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^check +REST +gRPC-Web$/m);
    expect(run.stdout).toMatch(/\n15 passed, 0 failed, 0 skipped in /);
  });

  it("--fail-on-skip exits 0 when every check ran", async () => {
    const run = await runConformBin(["--target", emulator.url, "--protocols", "connect", "--fail-on-skip"]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/\n15 passed, 0 failed, 0 skipped in [0-9.]+ s\n$/);
  });
});

describe("conform against a real gateway without a device session (most checks cannot run)", () => {
  let fake: FakeGateway;
  beforeAll(async () => {
    fake = await startFakeGateway(fakeDevice(), {});
  });
  afterAll(() => fake.close());
  const SUMMARY = /\n10 passed, 0 failed, 31 skipped in [0-9.]+ s\n$/;

  it("exits 0 by default, but the summary and a warning say how much was not checked", async () => {
    const run = await runConformBin(["--target", fake.url]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(SUMMARY);
    expect(run.stderr).toBe("conform: warning: 31 of 41 checks were skipped, so not checked (the skip lines say why); --fail-on-skip makes skips fail the run\n");
  });

  it("--fail-on-skip exits 1 and says why", async () => {
    const run = await runConformBin(["--target", fake.url, "--fail-on-skip"]);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(SUMMARY);
    expect(run.stderr).toBe("conform: 31 of 41 checks were skipped, so not checked (the skip lines say why), and --fail-on-skip was given: exit 1\n");
  });
});

describe("conform against a gateway that skips the signature check", () => {
  const device = fakeDevice();
  let fake: FakeGateway;
  beforeAll(async () => {
    fake = await startFakeGateway(device, { skipSignatureCheck: true });
  });
  afterAll(() => fake.close());

  it("exits 1 and names exactly the checks that catch it, on every protocol, in the table and in JUnit", async () => {
    const junit = path.join(tempDir(), "conform.xml");
    const run = await runConformBin(["--target", fake.url, "--device-key", device.keyFile, "--session", device.deviceSessionId, "--junit", junit]);
    expect(run.code).toBe(1);
    for (const label of ["Connect", "gRPC", "gRPC-Web"]) {
      expect(run.stdout).toContain(`FAIL bad-signature [${label}]: one bit flipped: expected UNAUTHENTICATED invalid_signature at signature, but the call passed`);
      expect(run.stdout).toContain(`FAIL subscribe-bad-signature [${label}]: expected UNAUTHENTICATED invalid_signature at signature, but the call passed`);
    }
    expect(run.stdout).toMatch(/^bad signature → UNAUTHENTICATED invalid_signature +- +FAIL +FAIL +FAIL$/m);
    expect(run.stdout).toMatch(/\n28 passed, 6 failed, 7 skipped in /);

    const { cases } = parseJunit(readFileSync(junit, "utf8"));
    const failed = cases.filter((c) => c.outcome === "fail").map((c) => `${c.id} ${c.classname}`);
    expect(failed.sort()).toEqual(PROTOCOLS.flatMap((p) => [`bad-signature conform.${p}`, `subscribe-bad-signature conform.${p}`]).sort());
    // A real gateway has no control plane: those checks are skipped, and say why.
    const skipped = cases.filter((c) => c.outcome === "skip");
    expect(new Set(skipped.map((c) => c.id))).toEqual(new Set(CONTROL_PLANE_CHECKS));
    expect(skipped.every((c) => c.message === "needs an emulator control plane: GET /emulator/v1/config answered 404")).toBe(true);
  });
});

describe("conform usage errors", () => {
  const badKey = path.join(tempDir(), "bad.key");
  writeFileSync(badKey, "not a key\n");
  const target = ["--target", "http://127.0.0.1:9"];

  it.each([
    [[], "--target URL is required"],
    [["--target", "ftp://example.com"], 'must be http:// or https://'],
    [["--target", "not a url"], "is not a URL"],
    [[...target, "--protocols", "grpc,soap"], '--protocols "grpc,soap": each must be one of connect, grpc, grpcweb'],
    [[...target, "--device-key", badKey], "--device-key and --session go together"],
    [[...target, "--device-key", badKey, "--session", "ds_1"], "not a device key: expected a PKCS#8 PEM Ed25519 private key"],
    [[...target, "--device-key", "/nonexistent/key", "--session", "ds_1"], "cannot read it (ENOENT)"],
    [[...target, "--check-timeout-ms", "0"], "--check-timeout-ms must be an integer 1..86400000"],
    [[...target, "--token", "short"], "must be 8..256 characters"],
    [[...target, "--what"], "Unknown option"],
  ])("%j exits 2 with the reason and the usage", async (args, mention) => {
    const run = await runConformBin(args);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(mention);
    expect(run.stderr).toContain("usage: galaxy-gateway-emulator conform --target URL");
    expect(run.stdout).toBe("");
  });
});
