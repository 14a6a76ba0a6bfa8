// Redaction of a recording (README "Record and play back", docs/SECURITY.md): field names matching the
// patterns, case-insensitive, at any depth, in bodies, answers and query strings; a business error's own
// code kept; `--record-secrets` (secrets: true) keeps everything, the sign-in code included.
import { readFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { startMockBackend } from "../../src/backend/server.js";
import { startEmulator, type RunningEmulator } from "../../src/emulator/start.js";
import { compileRedactPatterns, DEFAULT_REDACT_FIELDS, redactJson, redactQuery } from "../../src/gateway/recording/redact.js";
import { generateBackendToken } from "../../src/node/backend-token.js";
import { getJson, patchConfig, signIn, tempDir } from "../support/emulator.js";

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

describe("redaction", () => {
  const secret = compileRedactPatterns(DEFAULT_REDACT_FIELDS);

  it("redacts matching field names at any depth, case-insensitively, and keeps ids and a business error's code", () => {
    const body = { Code: "123456", ship_id: "s1", auth: { access_token: "t", Password: "p", nested: [{ secret: "x", keep: 1 }] } };
    expect(redactJson(body, secret)).toEqual({
      Code: "[redacted]",
      ship_id: "s1",
      auth: { access_token: "[redacted]", Password: "[redacted]", nested: [{ secret: "[redacted]", keep: 1 }] },
    });
    expect(redactJson({ error: { code: "out_of_fuel", message: "m", token: "t" }, code: "9" }, secret, true)).toEqual({
      error: { code: "out_of_fuel", message: "m", token: "[redacted]" },
      code: "[redacted]",
    });
    expect(redactQuery("page=2&api_token=abc&code=1", secret)).toBe("page=2&api_token=%5Bredacted%5D&code=%5Bredacted%5D");
    expect(redactJson({ pin: "1", code: "2" }, compileRedactPatterns(["pi*"]))).toEqual({ pin: "[redacted]", code: "2" });
  });

  it("--record-secrets keeps the sign-in code", async () => {
    const token = generateBackendToken();
    const upstream = await startMockBackend({ token });
    closers.push(() => upstream.close());
    const dir = path.join(tempDir("gge-rec-"), "rec");
    const emulator: RunningEmulator = await startEmulator({ port: 0, stateDir: tempDir(), backend: upstream.url, backendToken: token, record: { dir, secrets: true } });
    closers.push(() => emulator.close());
    await patchConfig(emulator.url, { public_rate_limits: { per_ip: { rate_per_s: 1000, burst: 10_000 } } });
    await signIn(emulator.url, "kept@example.com");
    const code = (await getJson(`${emulator.url}/emulator/v1/mailbox?email=kept%40example.com`)).json.messages[0].code as string;
    expect((await getJson(`${emulator.url}/emulator/v1/recording`)).json.secrets_redacted).toBe(false);
    await emulator.close();
    expect(readFileSync(path.join(dir, "recording.jsonl"), "utf8")).toContain(`"code":"${code}"`);
  });
});
