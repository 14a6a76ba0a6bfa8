// `galaxy-gateway-emulator conform --target URL …` (also `npm run emulator -- conform …`): checks a
// gateway, emulator or real, against PROTOCOL.md from outside (src/conform), prints the table and
// exits 0 when every check passed (skips allowed, but warned about: a real gateway without
// --device-key skips most checks; --fail-on-skip makes that exit 1 for CI), 1 on any failure, 2 on a
// usage error. Dispatched from emulator.ts, which is the package's one bin.
import { readFileSync } from "node:fs";
import path from "node:path";
import { DEVICE_KEY_FORMATS, DeviceKeyError, parseDeviceKey } from "../conform/device-key.js";
import { isProtocol, PROTOCOLS, type Protocol } from "../conform/protocols.js";
import { counts, formatTable, junitXml } from "../conform/report.js";
import { DEFAULT_CHECK_TIMEOUT_MS, DEFAULT_MESSAGE_TYPE, DEFAULT_TIME_LIMIT_MS, runConformance, type ConformOptions } from "../conform/runner.js";
import { writeFileAtomic } from "../node/atomic-file.js";
import { fail as failWith, parseFlags, type CommandLine } from "./command-line.js";
import { CONTROL_TOKEN_RULE, TOKEN_ENV } from "./exposure.js";
import { tokenFromSources, TokenError } from "./token-source.js";

const cli: CommandLine = {
  name: "conform",
  usage: `usage: galaxy-gateway-emulator conform --target URL [options]   (or: npm run emulator -- conform …)
  --target URL          the gateway to check: http(s)://host:port of its one listener
  --protocols LIST      comma-separated, of ${PROTOCOLS.join(", ")} (default: all three)
  --junit FILE          also write a JUnit XML report to FILE (atomically)
  --token-file F        the emulator control plane's token, read from F (also $${TOKEN_ENV})
  --token T             the same from the command line (visible to every local user in ps: warns)
  --device-key FILE     a device session's private key on a real gateway (with --session): ${DEVICE_KEY_FORMATS}
  --session ID          that device session's id
  --message-type T      a routed message type that reads and changes nothing (default ${DEFAULT_MESSAGE_TYPE})
  --check-timeout-ms N  per-check timeout (default ${DEFAULT_CHECK_TIMEOUT_MS})
  --time-limit-ms N     time limit of the whole run; checks not run by then fail (default ${DEFAULT_TIME_LIMIT_MS})
  --fail-on-skip        exit 1 when a check was skipped (could not run here), not only when one failed
Exit status: 0 every check passed (or was skipped, with a warning), 1 a check failed (or, with
--fail-on-skip, was skipped), 2 usage error.`,
};

function fail(message: string): never {
  failWith(cli, message);
}

/** Milliseconds 1..1 day: longer is not a bound worth the name. */
function parseMs(flag: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  if (!/^[0-9]{1,9}$/.test(text) || Number(text) < 1 || Number(text) > 86_400_000) fail(`${flag} must be an integer 1..86400000, got "${text}"`);
  return Number(text);
}

function parseTarget(text: string | undefined): string {
  if (text === undefined) fail("--target URL is required");
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    fail(`--target "${text}" is not a URL`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") fail(`--target "${text}" must be http:// or https://`);
  if (url.search !== "" || url.hash !== "") fail(`--target "${text}" must have no query or fragment`);
  return url.href.replace(/\/+$/, "");
}

function parseProtocols(text: string | undefined): Protocol[] {
  if (text === undefined) return [...PROTOCOLS];
  const names = text.split(",").map((s) => s.trim().toLowerCase());
  const unknown = names.filter((n) => !isProtocol(n));
  if (unknown.length > 0 || names.length === 0) fail(`--protocols "${text}": each must be one of ${PROTOCOLS.join(", ")}`);
  // In the canonical order, once each.
  return PROTOCOLS.filter((p) => names.includes(p));
}

function parseOptions(argv: string[]): ConformOptions & { junit?: string; failOnSkip: boolean } {
  const values = parseFlags(cli, argv, {
    target: { type: "string" },
    protocols: { type: "string" },
    junit: { type: "string" },
    token: { type: "string" },
    "token-file": { type: "string" },
    "device-key": { type: "string" },
    session: { type: "string" },
    "message-type": { type: "string" },
    "check-timeout-ms": { type: "string" },
    "time-limit-ms": { type: "string" },
    "fail-on-skip": { type: "boolean" },
  });
  const target = parseTarget(values.target);
  const protocols = parseProtocols(values.protocols);
  let controlToken: string | undefined;
  try {
    const resolved = tokenFromSources({
      what: "the token",
      rule: CONTROL_TOKEN_RULE,
      file: { flag: "--token-file", path: values["token-file"] },
      env: TOKEN_ENV,
      plain: { flag: "--token", value: values.token },
    });
    for (const warning of resolved.warnings) console.error(`conform: warning: ${warning}`);
    controlToken = resolved.token;
  } catch (err) {
    if (err instanceof TokenError) fail(err.message);
    throw err;
  }
  if ((values["device-key"] === undefined) !== (values.session === undefined)) fail("--device-key and --session go together");
  const device = values["device-key"] === undefined ? undefined : { deviceSessionId: values.session!, seed: readDeviceKey(values["device-key"]) };
  if (device && !/^[\x21-\x7e]{1,128}$/.test(device.deviceSessionId)) fail(`--session "${device.deviceSessionId}": must be 1..128 visible ASCII characters`);
  const messageType = values["message-type"];
  if (messageType !== undefined && !/^[A-Za-z0-9._-]{1,128}$/.test(messageType)) fail(`--message-type "${messageType}": must be 1..128 characters of [A-Za-z0-9._-]`);
  return {
    target,
    protocols,
    controlToken,
    device,
    messageType,
    checkTimeoutMs: parseMs("--check-timeout-ms", values["check-timeout-ms"], DEFAULT_CHECK_TIMEOUT_MS),
    timeLimitMs: parseMs("--time-limit-ms", values["time-limit-ms"], DEFAULT_TIME_LIMIT_MS),
    junit: values.junit === undefined ? undefined : path.resolve(values.junit),
    failOnSkip: values["fail-on-skip"] === true,
  };
}

function readDeviceKey(file: string): Uint8Array {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    fail(`--device-key ${file}: cannot read it (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  try {
    return parseDeviceKey(text);
  } catch (err) {
    if (err instanceof DeviceKeyError) fail(`--device-key ${file}: ${err.message}`);
    throw err;
  }
}

/** Writes to stdout and resolves once the text is handed to the OS, so process.exit cannot cut it. */
function print(text: string): Promise<void> {
  return new Promise((resolve) => process.stdout.write(text, () => resolve()));
}

/** Runs the command; resolves with the exit status (usage errors exit 2 on their own). */
export async function conform(argv: string[]): Promise<number> {
  const options = parseOptions(argv);
  const report = await runConformance(options);
  await print(formatTable(report));
  if (options.junit !== undefined) {
    try {
      await writeFileAtomic(options.junit, junitXml(report), { mode: 0o644 });
    } catch (err) {
      console.error(`conform: cannot write --junit ${options.junit}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
      return 1;
    }
  }
  const n = counts(report);
  if (n.fail > 0) return 1;
  if (n.skip === 0) return 0;
  const skipped = `${n.skip} of ${report.results.length} checks were skipped, so not checked (the skip lines say why)`;
  if (options.failOnSkip) {
    console.error(`conform: ${skipped}, and --fail-on-skip was given: exit 1`);
    return 1;
  }
  console.error(`conform: warning: ${skipped}; --fail-on-skip makes skips fail the run`);
  return 0;
}
