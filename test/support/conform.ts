// What the conform tests share: a device session for the fake gateway (its key as a user would keep
// it, in a PEM file), the built bin run as a child process, and the JUnit report read back.
import { existsSync, writeFileSync } from "node:fs";
import { generateKeyPairSync } from "node:crypto";
import path from "node:path";
import { DOMParser, type Element as XmlElement } from "@xmldom/xmldom";
import { fromBase64Url } from "../../src/shared/bytes.js";
import { tempDir } from "./emulator.js";
import { runToEnd, type RunResult } from "./run.js";

const ROOT = path.resolve(import.meta.dirname, "../..");
/** The package's bin as `npm run build:node` makes it (npm test builds before it tests). */
export const BIN = path.join(ROOT, "dist/node/cli/emulator.js");
/** Bounds a child that would otherwise hang the suite; a run against loopback takes a few seconds. */
const CHILD_TIMEOUT_MS = 60_000;

export interface FakeDevice {
  deviceSessionId: string;
  publicKey: Uint8Array;
  seed: Uint8Array;
  /** The private key as PKCS#8 PEM, in a file: the --device-key a user passes. */
  keyFile: string;
}

export function fakeDevice(): FakeDevice {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  const keyFile = path.join(tempDir("conform-key-"), "device.pem");
  writeFileSync(keyFile, privateKey.export({ type: "pkcs8", format: "pem" }), { mode: 0o600 });
  return {
    deviceSessionId: `ds_fake_${Math.random().toString(36).slice(2)}`,
    publicKey: fromBase64Url(publicKey.export({ format: "jwk" }).x!),
    seed: fromBase64Url(privateKey.export({ format: "jwk" }).d!),
    keyFile,
  };
}

export type CliRun = RunResult;

/** `galaxy-gateway-emulator conform ARGS…` with the built bin, to its exit. */
export function runConformBin(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run npm run build:node first`);
  return runToEnd(process.execPath, [BIN, "conform", ...args], {
    env: { ...process.env, GALAXY_EMULATOR_TOKEN: "", ...env },
    timeout: CHILD_TIMEOUT_MS,
  });
}

export interface JunitCase {
  /** conform.rest, conform.connect, conform.grpc, conform.grpcweb */
  classname: string;
  /** The check id (the name up to its colon). */
  id: string;
  outcome: "pass" | "fail" | "skip";
  message?: string;
}

/** Parses a JUnit report strictly (any XML error throws) into its suites' counts and its test cases. */
export function parseJunit(xml: string): { root: Record<string, string>; suites: Array<Record<string, string>>; cases: JunitCase[] } {
  const doc = new DOMParser({
    onError: (level: string, message: string) => {
      throw new Error(`JUnit XML ${level}: ${message}`);
    },
  }).parseFromString(xml, "text/xml");
  const attrs = (el: XmlElement, names: string[]) => Object.fromEntries(names.map((n) => [n, el.getAttribute(n) ?? ""]));
  const root = doc.documentElement;
  if (!root) throw new Error("JUnit XML has no root element");
  if (root.tagName !== "testsuites") throw new Error(`root element is ${root.tagName}`);
  const list = (nodes: { length: number; item(i: number): XmlElement | null }): XmlElement[] => Array.from({ length: nodes.length }, (_, i) => nodes.item(i)!);
  const counts = ["name", "tests", "failures", "errors", "skipped"];
  const suites = list(root.getElementsByTagName("testsuite")).map((s) => attrs(s, counts));
  const cases = list(root.getElementsByTagName("testcase")).map((c): JunitCase => {
    const failure = c.getElementsByTagName("failure")[0];
    const skipped = c.getElementsByTagName("skipped")[0];
    const outcome = failure ? "fail" : skipped ? "skip" : "pass";
    return {
      classname: c.getAttribute("classname") ?? "",
      id: (c.getAttribute("name") ?? "").split(":")[0]!,
      outcome,
      message: (failure ?? skipped)?.getAttribute("message") ?? undefined,
    };
  });
  return { root: attrs(root, counts), suites, cases };
}
