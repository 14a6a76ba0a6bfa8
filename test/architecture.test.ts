// The tree's runtime boundaries (docs/ARCHITECTURE.md), checked on every import of every source file.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const SRC = path.resolve(import.meta.dirname, "../src");

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(full);
    // Build configs (vite.config.ts) run in Node at build time, not in the folder's runtime.
    return /\.(ts|tsx)$/.test(e.name) && !e.name.endsWith(".config.ts") ? [full] : [];
  });
}

/** Every module a file imports: package names, node: builtins, or src-relative folders. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const specifiers = [...text.matchAll(/(?:^|\n)\s*(?:import|export)[^'"]*?from\s+["']([^"']+)["']/g)].map((m) => m[1]!);
  specifiers.push(...[...text.matchAll(/import\(\s*["']([^"']+)["']\s*\)/g)].map((m) => m[1]!));
  return specifiers.map((s) => (s.startsWith(".") ? path.relative(SRC, path.resolve(path.dirname(file), s)) : s));
}

/** "node:" matches every builtin; any other name matches itself and what lies below it. */
function matches(spec: string, forbidden: string): boolean {
  if (forbidden.endsWith(":")) return spec.startsWith(forbidden);
  const name = forbidden.replace(/\/$/, "");
  return spec === name || spec.startsWith(`${name}/`);
}

/** folder → what it must never import (prefixes of src-relative paths or package names). */
const FORBIDDEN: Record<string, string[]> = {
  shared: ["node:", "gateway", "backend", "emulator", "cli", "main", "preload", "renderer", "node/", "electron", "react", "@connectrpc/connect-node"],
  gateway: ["backend", "emulator", "cli", "main", "preload", "renderer", "electron", "react"],
  backend: ["gateway", "emulator", "cli", "main", "preload", "renderer", "electron", "react"],
  node: ["gateway", "backend", "emulator", "cli", "main", "preload", "renderer", "electron", "react"],
  renderer: ["node:", "gateway", "backend", "emulator", "cli", "main", "preload", "node/", "electron", "@connectrpc/connect-node"],
  preload: ["gateway", "backend", "emulator", "cli", "main", "renderer", "node/"],
  main: ["gateway", "backend", "renderer", "preload", "cli"],
};

describe("runtime boundaries", () => {
  for (const [folder, forbidden] of Object.entries(FORBIDDEN)) {
    it(`src/${folder} imports nothing from ${forbidden.join(", ")}`, () => {
      const offending = sourceFiles(path.join(SRC, folder)).flatMap((file) =>
        importsOf(file)
          .filter((spec) => forbidden.some((f) => matches(spec, f)))
          .map((spec) => `${path.relative(SRC, file)} → ${spec}`),
      );
      expect(offending).toEqual([]);
    });
  }
});
