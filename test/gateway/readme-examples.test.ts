// The README's "Calling it from your own client" examples, run as written against a running emulator:
// the grpc-js program (through tsx) and the buf curl commands (with the emulator's URL for the
// default one, and this repo's buf for `npx buf`).
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fromJson, toJsonString } from "@bufbuild/protobuf";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { RunningEmulator } from "../../src/emulator/start.js";
import { toBase64Url } from "../../src/shared/bytes.js";
import { ExecuteCommandRequestSchema, ExecuteCommandResponseSchema } from "../../src/shared/gen/galaxy/gateway/v1/gateway_pb.js";
import { executeCommandRequest, verifyResponse } from "../../src/shared/sdk.js";
import { gatewayPublicKey, signIn, startTestEmulator, tempDir, type SignedInDevice } from "../support/emulator.js";
import { runToEnd, type RunResult } from "../support/run.js";
import { BUF, jsonObjects, ROOT } from "./buf-cli.js";

const TSX = path.join(ROOT, "node_modules", ".bin", "tsx");
const DEFAULT_URL = "http://127.0.0.1:8787";

/** The fenced block that follows `<!-- example: NAME -->` in README.md. */
function readmeExample(name: string): string {
  const readme = readFileSync(path.join(ROOT, "README.md"), "utf8");
  const match = new RegExp(`<!-- example: ${name} -->\\n\`\`\`\\w*\\n([\\s\\S]*?)\`\`\``).exec(readme);
  if (!match) throw new Error(`README.md has no example "${name}"`);
  return match[1]!;
}

function run(command: string, args: string[], options: { cwd: string; env?: Record<string, string> }): Promise<RunResult> {
  return runToEnd(command, args, { cwd: options.cwd, env: { ...process.env, ...options.env } });
}

let emulator: RunningEmulator;
let device: SignedInDevice;
let gatewayKey: Uint8Array;

beforeAll(async () => {
  emulator = await startTestEmulator();
  device = await signIn(emulator.url);
  gatewayKey = await gatewayPublicKey(emulator.url);
});
afterAll(() => emulator.close());

it("the grpc-js example gets a verified response", async () => {
  const result = await run(TSX, ["--input-type=module", "-e", readmeExample("grpc-js")], {
    cwd: ROOT,
    env: { GATEWAY: new URL(emulator.url).host, DEVICE_SESSION_ID: device.deviceSessionId, DEVICE_SEED: toBase64Url(device.seed) },
  });
  expect(result.stderr).toBe("");
  expect(result.code).toBe(0);
  const [resultCode, verified, payload] = result.stdout.trim().split(" ");
  expect([resultCode, verified]).toEqual(["ok", "true"]);
  expect(JSON.parse(payload!)).toMatchObject({ user_id: device.userId });
});

it("the buf curl example lists the services, reads the health, and calls ExecuteCommand, all by reflection", async () => {
  const dir = tempDir("gge-readme-");
  const req = executeCommandRequest(device, { messageType: "user.profile.get" });
  writeFileSync(path.join(dir, "signed-request.json"), toJsonString(ExecuteCommandRequestSchema, req));
  const script = readmeExample("buf-curl").replaceAll("npx buf", BUF).replaceAll(DEFAULT_URL, emulator.url);
  const result = await run("bash", ["-e", "-c", script], { cwd: dir });
  expect(result.stderr).toBe("");
  expect(result.code).toBe(0);
  expect(result.stdout).toContain("galaxy.gateway.v1.EdgeGateway\n");
  expect(result.stdout).toContain("grpc.reflection.v1.ServerReflection\n");
  const [health, response] = jsonObjects(result.stdout);
  expect(health).toEqual({ status: "SERVING" });
  const res = fromJson(ExecuteCommandResponseSchema, response as never);
  expect(res.envelope?.resultCode).toBe("ok");
  expect(verifyResponse(res, gatewayKey, { requestId: req.envelope!.requestId })).toEqual({ ok: true });
});
