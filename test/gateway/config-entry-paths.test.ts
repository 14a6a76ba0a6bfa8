// One validation for every way settings enter (issue 11, item 5): a CLI flag, a startEmulator option,
// a startGateway option, the LiveConfig constructor and PATCH /emulator/v1/config refuse the same bad
// value with the same reason, each naming the setting the way its caller wrote it.
import { spawn } from "node:child_process";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator } from "../../src/emulator/start.js";
import { ConfigError, LiveConfig } from "../../src/gateway/config.js";
import { startGateway } from "../../src/gateway/gateway.js";
import type { EmulatorConfig } from "../../src/shared/protocol.js";
import { tempDir } from "../support/emulator.js";

const ROOT = path.resolve(import.meta.dirname, "../..");

/** Each bad value as every entry path spells it, and the reason all of them give. */
interface Case {
  name: string;
  flags: string[];
  /** The flag's label in the CLI's message (the text given is quoted: a repeated flag shows which). */
  cliLabel: string;
  option: { freshnessMs?: number; backend?: string; corsOrigins?: string[] };
  optionLabel: string;
  setting: Partial<Record<keyof EmulatorConfig, unknown>>;
  settingLabel: string;
  reason: string;
}

const ORIGIN_REASON = "must be an origin such as http://localhost:5173 or http://localhost:* (scheme://host[:port], no path, query or user)";
const CASES: Case[] = [
  {
    name: "freshness window 0",
    flags: ["--freshness-ms", "0"],
    cliLabel: '--freshness-ms "0"',
    option: { freshnessMs: 0 },
    optionLabel: "freshnessMs",
    setting: { freshness_window_ms: 0 },
    settingLabel: "freshness_window_ms",
    reason: "must be an integer 1..86400000",
  },
  {
    name: "freshness window not an integer",
    flags: ["--freshness-ms", "1.5"],
    cliLabel: '--freshness-ms "1.5"',
    option: { freshnessMs: 1.5 },
    optionLabel: "freshnessMs",
    setting: { freshness_window_ms: 1.5 },
    settingLabel: "freshness_window_ms",
    reason: "must be an integer 1..86400000",
  },
  {
    name: "a backend that is not http(s)",
    flags: ["--backend", "ftp://x"],
    cliLabel: '--backend "ftp://x"',
    option: { backend: "ftp://x" },
    optionLabel: "backend",
    setting: { backend: "ftp://x" },
    settingLabel: "backend",
    reason: 'must be "mock" or an http(s) URL',
  },
  {
    name: "a CORS origin without a scheme (the second one)",
    flags: ["--cors-origin", "http://localhost:5173", "--cors-origin", "localhost:5173"],
    cliLabel: '--cors-origin "localhost:5173"',
    option: { corsOrigins: ["http://localhost:5173", "localhost:5173"] },
    optionLabel: "corsOrigins[1]",
    setting: { cors_origins: ["http://localhost:5173", "localhost:5173"] },
    settingLabel: "cors_origins[1]",
    reason: ORIGIN_REASON,
  },
];

function runCli(args: string[]): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, ["--import", "tsx", "src/cli/emulator.ts", "--port", "0", "--state-dir", tempDir(), ...args], {
    cwd: ROOT,
    stdio: ["ignore", "ignore", "pipe"],
    env: { ...process.env, GALAXY_EMULATOR_TOKEN: "" },
  });
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.once("exit", (code) => resolve({ code, stderr })));
}

/** What `make` threw (or rejected with), or "no error" (so that a missing refusal shows in the diff). */
async function thrownBy(make: () => unknown): Promise<unknown> {
  try {
    await make();
  } catch (err) {
    return err;
  }
  return "no error";
}

/** The refusal as a plain object: its class and its whole message. */
async function refusal(make: () => unknown): Promise<{ isConfigError: boolean; message: unknown }> {
  const err = await thrownBy(make);
  return { isConfigError: err instanceof ConfigError, message: err instanceof Error ? err.message : err };
}

describe.each(CASES)("$name", (c) => {
  it("the CLI flag: exit 2, the flag and its text, the reason, the usage", async () => {
    const { code, stderr } = await runCli(c.flags);
    expect(code).toBe(2);
    expect(stderr).toContain(`emulator: ${c.cliLabel}: ${c.reason}\n`);
    expect(stderr).toContain("usage: npm run emulator");
  });

  it("the startEmulator option: a ConfigError naming the option", async () => {
    expect(await refusal(() => startEmulator({ port: 0, stateDir: tempDir(), ...c.option }))).toEqual({
      isConfigError: true,
      message: `${c.optionLabel}: ${c.reason}`,
    });
  });

  it("the startGateway option: a ConfigError naming the setting", async () => {
    const config = c.setting as Partial<EmulatorConfig>;
    expect(await refusal(() => startGateway({ port: 0, stateDir: tempDir(), mockBackendUrl: "http://127.0.0.1:9", config }))).toEqual({
      isConfigError: true,
      message: `${c.settingLabel}: ${c.reason}`,
    });
  });

  it("the LiveConfig constructor: a ConfigError naming the setting", async () => {
    expect(await refusal(() => new LiveConfig(c.setting as Partial<EmulatorConfig>))).toEqual({
      isConfigError: true,
      message: `${c.settingLabel}: ${c.reason}`,
    });
  });
});

describe("PATCH /emulator/v1/config", () => {
  let gateway: Awaited<ReturnType<typeof startGateway>>;
  beforeAll(async () => {
    // Nothing listens at the backend URL: the push stream retries quietly; PATCH needs no backend.
    gateway = await startGateway({ port: 0, stateDir: tempDir(), config: { backend: "http://127.0.0.1:9" }, onPushError: () => {} });
  });
  afterAll(() => gateway.close(0));

  it.each(CASES)("$name: 400 invalid_request naming the setting, settings unchanged", async (c) => {
    const before = gateway.config.get();
    const res = await fetch(`${gateway.url}/emulator/v1/config`, {
      method: "PATCH",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(c.setting),
    });
    expect({ status: res.status, body: await res.json() }).toEqual({
      status: 400,
      // `issues`: each refused setting on its own, for a form to mark the field (the console does).
      body: { error: { code: "invalid_request", message: `${c.settingLabel}: ${c.reason}`, issues: [{ setting: c.settingLabel, message: c.reason }] } },
    });
    expect(gateway.config.get()).toBe(before);
  });
});

describe("LiveConfig's initial settings are a PATCH over the defaults", () => {
  it("checks them against the running system too (check), as every PATCH is", async () => {
    const noMock = (c: EmulatorConfig) => (c.backend === "mock" ? { path: ["backend"], message: "no mock here" } : undefined);
    expect(await refusal(() => new LiveConfig({ backend: "mock" }, noMock))).toEqual({ isConfigError: true, message: "backend: no mock here" });
  });

  it("normalises them the same way (a backend URL loses its trailing slash, an origin is lower-cased)", () => {
    const config = new LiveConfig({ backend: "http://127.0.0.1:9/", cors_origins: ["HTTP://LOCALHOST:5173"] });
    expect({ backend: config.get().backend, cors_origins: config.get().cors_origins }).toEqual({
      backend: "http://127.0.0.1:9",
      cors_origins: ["http://localhost:5173"],
    });
  });
});
