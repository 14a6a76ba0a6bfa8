// The runtime table of docs/ARCHITECTURE.md is enforced by `npm run lint` (dependency-cruiser with
// .dependency-cruiser.cjs) and `npm run typecheck` (one tsconfig per runtime). These tests prove both
// bite: they add escapes to a copy of the tree and run the project's own scripts on it. The first six
// are those that the regex test this file replaced let through (issue 11); the rest cover every other
// way of depending on a module and every rule.
import { execFile } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { stripVTControlCharacters } from "node:util";
import { afterEach, describe, expect, it } from "vitest";

const ROOT = path.resolve(import.meta.dirname, "..");
// depcruise on a copy of src/ (~170 files) or tsc on a handful of files takes a few seconds on an idle
// machine; the bound only keeps a wedged child from outliving the test.
const CHILD_TIMEOUT_MS = 120_000;
// Both print a few lines per finding: far below this, so output is never cut.
const CHILD_OUTPUT_BYTES = 16 << 20;

const copies: string[] = [];
afterEach(() => {
  for (const dir of copies.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A temporary copy of the given repository paths, with the project's node_modules linked in. */
function copyOfTree(parts: string[]): string {
  const dir = mkdtempSync(path.join(tmpdir(), "architecture-"));
  copies.push(dir);
  for (const part of parts) cpSync(path.join(ROOT, part), path.join(dir, part), { recursive: true });
  symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"), "dir");
  return dir;
}

function writeFiles(dir: string, files: Record<string, string>): void {
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), text);
  }
}

/** Runs a command to its end; a non-zero exit is a result here, not an error. */
function run(command: string, args: string[], cwd: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const options = { cwd, timeout: CHILD_TIMEOUT_MS, maxBuffer: CHILD_OUTPUT_BYTES };
    execFile(command, args, options, (error, stdout, stderr) => {
      if (error && typeof error.code !== "number") return reject(error);
      resolve({ code: error ? Number(error.code) : 0, output: stripVTControlCharacters(stdout + stderr) });
    });
  });
}

const packageScripts = (): Record<string, string> =>
  (JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts;

describe("npm run lint: each src folder imports only what its runtime row allows", () => {
  // file → its text, and the violations it must cause as "rule: from → to" (a package as node_modules/<name>).
  const ESCAPES: Record<string, [string, string[]]> = {
    "src/shared/escape-fs.ts": [
      'import fs from "fs";\nexport const read = fs.readFileSync;\n',
      ["shared-allowed-imports: src/shared/escape-fs.ts → fs"],
    ],
    "src/shared/escape-side-effect.ts": [
      'import "../gateway/listener.js";\n',
      ["shared-allowed-imports: src/shared/escape-side-effect.ts → src/gateway/listener.ts"],
    ],
    "src/shared/escape-require.ts": [
      'const { execFile } = require("node:child_process");\nexport { execFile };\n',
      ["shared-allowed-imports: src/shared/escape-require.ts → child_process"],
    ],
    "src/shared/escape-zod.ts": [
      'import { z } from "zod";\nexport const Name = z.string();\n',
      ["shared-allowed-imports: src/shared/escape-zod.ts → node_modules/zod"],
    ],
    "src/renderer/escape-cli.ts": [
      'import "../cli/command-line.js";\n',
      ["renderer-allowed-imports: src/renderer/escape-cli.ts → src/cli/command-line.ts"],
    ],
    "src/renderer/escape-packages.ts": [
      'import { LRUCache } from "lru-cache";\nimport path from "path";\nexport const used = [LRUCache, path];\n',
      [
        "renderer-allowed-imports: src/renderer/escape-packages.ts → node_modules/lru-cache",
        "renderer-allowed-imports: src/renderer/escape-packages.ts → path",
      ],
    ],
    // Beyond the issue: every other form of dependency, and every rule.
    "src/shared/escape-builtin-module.ts": [
      'export const os = process.getBuiltinModule("node:os");\n',
      ["shared-allowed-imports: src/shared/escape-builtin-module.ts → os"],
    ],
    "src/gateway/escape-backend.ts": [
      'export { startMockBackend } from "../backend/server.js";\n',
      ["gateway-allowed-imports: src/gateway/escape-backend.ts → src/backend/server.ts"],
    ],
    "src/backend/escape-gateway.ts": [
      'import type * as gateway from "../gateway/gateway.js";\nexport type Gateway = typeof gateway;\n',
      ["backend-allowed-imports: src/backend/escape-gateway.ts → src/gateway/gateway.ts"],
    ],
    "src/node/escape-gateway.ts": [
      'import "../gateway/config.js";\n',
      ["node-allowed-imports: src/node/escape-gateway.ts → src/gateway/config.ts"],
    ],
    "src/emulator/escape-main.ts": [
      'import "../main/main.js";\n',
      ["emulator-allowed-imports: src/emulator/escape-main.ts → src/main/main.ts"],
    ],
    // The conformance checks see a gateway only through the wire, as users do: never its code.
    "src/conform/escape-gateway.ts": [
      'import "../gateway/stages/signature.js";\n',
      ["conform-allowed-imports: src/conform/escape-gateway.ts → src/gateway/stages/signature.ts"],
    ],
    "src/cli/escape-electron.ts": [
      'import { app } from "electron";\nexport { app };\n',
      ["cli-allowed-imports: src/cli/escape-electron.ts → node_modules/electron"],
    ],
    "src/main/escape-renderer.ts": [
      'export const load = () => import("../renderer/services/http.js");\n',
      ["main-allowed-imports: src/main/escape-renderer.ts → src/renderer/services/http.ts"],
    ],
    "src/sdk/escape-builtin.ts": [
      'import { request } from "node:http";\nexport { request };\n',
      ["sdk-allowed-imports: src/sdk/escape-builtin.ts → http"],
    ],
    "src/sdk/escape-node-transport.ts": [
      'export { createConnectTransport } from "@connectrpc/connect-node";\n',
      ["sdk-allowed-imports: src/sdk/escape-node-transport.ts → node_modules/@connectrpc/connect-node"],
    ],
    "src/testing/escape-gateway.ts": [
      'import "../gateway/journal.js";\n',
      ["testing-allowed-imports: src/testing/escape-gateway.ts → src/gateway/journal.ts"],
    ],
    "src/preload/escape-builtin.ts": [
      'import fs = require("node:fs");\nexport const read = fs.readFileSync;\n',
      ["preload-allowed-imports: src/preload/escape-builtin.ts → fs"],
    ],
    "src/renderer/vite.config.ts": [
      'import react from "react";\nexport default react;\n',
      ["build-config-allowed-imports: src/renderer/vite.config.ts → node_modules/react"],
    ],
    // Only the renderer's own Vite config is a build config: a file merely named *.config.ts stays in its room.
    "src/renderer/services/feeds.config.ts": [
      'import { readFileSync } from "node:fs";\nexport const read = readFileSync;\n',
      ["renderer-allowed-imports: src/renderer/services/feeds.config.ts → fs"],
    ],
    // A triple-slash directive pulls a runtime's global types in (here Node's into the renderer).
    "src/renderer/escape-reference.ts": [
      '/// <reference types="node" />\nexport const one = 1;\n',
      ["renderer-allowed-imports: src/renderer/escape-reference.ts → node_modules/@types/node"],
    ],
    // The console signs and verifies as clients do: through the client SDK, not around it.
    "src/renderer/escape-shared-sdk.ts": [
      'import { signRequest } from "../shared/sdk.js";\nexport const sign = signRequest;\n',
      ["renderer-signs-through-sdk: src/renderer/escape-shared-sdk.ts → src/shared/sdk.ts"],
    ],
    "src/tools/escape.ts": [
      'import "../shared/bytes.js";\n',
      ["src-folder-not-in-table: src/tools/escape.ts → src/shared/bytes.ts"],
    ],
  };

  it("reports exactly the escapes added to a copy of the tree, each with its rule and both paths", async () => {
    const dir = copyOfTree(["src", "package.json", ".dependency-cruiser.cjs"]);
    writeFiles(dir, Object.fromEntries(Object.entries(ESCAPES).map(([file, [text]]) => [file, text])));

    const { code, output } = await run("npm", ["run", "--silent", "lint"], dir);

    const reported = [...output.matchAll(/^\s*error (\S+): (\S+) → (\S+)$/gm)].map(
      ([, rule, from, to]) => `${rule}: ${from} → ${to!.replace(/^(node_modules\/(?:@[^/]+\/)?[^/]+)\/.*$/, "$1")}`,
    );
    expect(reported.sort()).toEqual(Object.values(ESCAPES).flatMap(([, violations]) => violations).sort());
    expect(code).not.toBe(0);
  });
});

describe("npm run typecheck: each runtime is checked with its own globals", () => {
  // Files that use one runtime's globals. Each config must reject exactly the uses its runtime lacks;
  // the common globals (types/shared-globals.d.ts) pass everywhere.
  const USES = {
    "src/shared/uses-common-globals.ts":
      'const bytes = new TextEncoder().encode("x");\n' +
      'export const text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);\n' +
      "export const stop = (signal: AbortSignal) => clearTimeout(setTimeout(() => signal.aborted, 1));\n",
    "src/shared/uses-dom.ts": "export const title = document.title;\n",
    "src/shared/uses-node.ts": 'export const bytes = Buffer.from("x");\n',
    "src/gateway/uses-dom.ts": "export const href = window.location.href;\n",
    "src/main/uses-dom.ts": 'export const saved = localStorage.getItem("x");\n',
    "src/renderer/uses-node.ts": "export const env = process.env;\n",
    "src/sdk/uses-node.ts": "export const env = process.env;\n",
    "src/sdk/uses-dom.ts": "export const title = document.title;\n",
  };
  // config → "file: the global it does not know"
  const REJECTED: Record<string, string[]> = {
    "tsconfig.shared.json": ["src/shared/uses-dom.ts: document", "src/shared/uses-node.ts: Buffer"],
    "tsconfig.sdk.json": ["src/sdk/uses-node.ts: process"],
    "tsconfig.node.json": [
      "src/gateway/uses-dom.ts: window",
      "src/main/uses-dom.ts: localStorage",
      "src/sdk/uses-dom.ts: document",
      "src/shared/uses-dom.ts: document",
    ],
    "src/renderer/tsconfig.json": ["src/renderer/uses-node.ts: process", "src/shared/uses-node.ts: Buffer"],
  };

  it("runs every runtime's tsconfig", () => {
    const commands = packageScripts()["typecheck"]!.split("&&").map((command) => command.trim());
    for (const config of Object.keys(REJECTED)) expect(commands).toContain(`tsc -p ${config}`);
  });

  for (const [config, rejected] of Object.entries(REJECTED)) {
    it(`${config} rejects the globals its runtime lacks`, async () => {
      const dir = copyOfTree(["package.json", "tsconfig.json", ...Object.keys(REJECTED), "types"]);
      writeFiles(dir, USES);

      const tsc = path.join(ROOT, "node_modules/typescript/bin/tsc");
      const { code, output } = await run(process.execPath, [tsc, "-p", config, "--pretty", "false"], dir);

      // Every error, as "file: name" when it is an unknown global: any other error fails the comparison too.
      const errors = output
        .split("\n")
        .filter((line) => /\berror TS\d+: /.test(line))
        .map((line) => line.replace(/^(\S+)\(\d+,\d+\): error TS\d+: Cannot find name '(\w+)'.*$/, "$1: $2"));
      expect(errors.sort()).toEqual(rejected);
      expect(code).not.toBe(0);
    });
  }
});

describe("no file under src/ changes its runtime's libraries", () => {
  // `/// <reference lib="dom" />` in a Node folder would give it the DOM's globals in
  // `npm run typecheck`; dependency-cruiser sees `reference types`/`path` (its "tsd" system), not
  // `lib` or `no-default-lib`, so those are refused here.
  it("no triple-slash lib or no-default-lib directive", () => {
    const offenders = (readdirSync(path.join(ROOT, "src"), { recursive: true, encoding: "utf8" }) as string[])
      .filter((file) => /\.tsx?$/.test(file))
      .filter((file) => /^\s*\/\/\/\s*<reference\s+(lib|no-default-lib)\b/m.test(readFileSync(path.join(ROOT, "src", file), "utf8")));
    expect(offenders).toEqual([]);
  });
});
