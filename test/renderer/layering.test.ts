// The renderer's layers (docs/ARCHITECTURE.md, "Renderer (src/renderer)"), read from the sources:
//   lib < services < state < components < features/<name>, with App.tsx / main.tsx as the root.
// A layer imports only the layers below it (and src/shared, src/sdk); a feature never imports another feature.
// Imports are found by TypeScript's own scanner (ts.preProcessFile: static, type-only, side-effect,
// re-export, dynamic import() and require()), so no way of importing slips past a regex.
// The same file checks the one state pattern: no module-level mutable state, stores read through
// useSyncExternalStore in one place, one React context.
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const src = fileURLToPath(new URL("../../src/", import.meta.url));
const renderer = join(src, "renderer");

/** Every .ts/.tsx source of the renderer, as paths relative to src/renderer with "/" separators. */
function sources(dir = renderer): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) return sources(full);
    return /\.tsx?$/.test(entry.name) ? [relative(renderer, full).split(sep).join("/")] : [];
  });
}

/**
 * The layer of a renderer file: "lib", "services", "state", "components", "features/<name>", "root"
 * (a file directly in src/renderer), or "unknown <folder>" (a folder without a rule: give it one here).
 */
function layerOf(file: string): string {
  const parts = file.split("/");
  if (parts.length === 1) return "root";
  const [top, sub] = parts;
  if (top === "features" && parts.length > 2) return `features/${sub}`;
  return ["lib", "services", "state", "components"].includes(top!) ? top! : `unknown ${top}`;
}

const BELOW: Record<string, string[]> = {
  lib: ["lib"],
  services: ["lib", "services"],
  state: ["lib", "services", "state"],
  components: ["lib", "services", "state", "components"],
};

/** What `file` may import: the layers below it, its own layer, and src/shared. */
function allowed(from: string, to: string): boolean {
  if (to === "shared") return true;
  if (from === "root") return to !== "outside" && !to.startsWith("unknown");
  if (from.startsWith("features/")) return to === from || (BELOW.components!.includes(to));
  return BELOW[from]!.includes(to);
}

/** Where a specifier of `file` lands: a renderer layer, "shared" (src/shared or src/sdk), "outside" (another src folder) or the package name. */
function targetOf(file: string, spec: string): { kind: "file"; layer: string } | { kind: "package"; name: string } {
  if (!spec.startsWith(".")) return { kind: "package", name: spec.startsWith("@") ? spec.split("/").slice(0, 2).join("/") : spec.split("/")[0]! };
  const target = relative(src, resolve(dirname(join(renderer, file)), spec)).split(sep).join("/");
  // The client SDK runs in browsers too: like src/shared, any layer may use it.
  if (target.startsWith("shared/") || target.startsWith("sdk/")) return { kind: "file", layer: "shared" };
  if (!target.startsWith("renderer/")) return { kind: "file", layer: "outside" };
  return { kind: "file", layer: layerOf(target.slice("renderer/".length)) };
}

function importsOf(file: string): string[] {
  const text = readFileSync(join(renderer, file), "utf8");
  return ts.preProcessFile(text, true, true).importedFiles.map((f) => f.fileName);
}

function parse(file: string): ts.SourceFile {
  const text = readFileSync(join(renderer, file), "utf8");
  return ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true, file.endsWith(".tsx") ? ts.ScriptKind.TSX : ts.ScriptKind.TS);
}

/** Names of the functions called anywhere in the file (`f(…)` and `x.f(…)`). */
function calledNames(sourceFile: ts.SourceFile): string[] {
  const names: string[] = [];
  const visit = (node: ts.Node) => {
    if (ts.isCallExpression(node)) {
      const callee = node.expression;
      if (ts.isIdentifier(callee)) names.push(callee.text);
      else if (ts.isPropertyAccessExpression(callee)) names.push(callee.name.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(sourceFile);
  return names;
}

const files = sources();

describe("renderer layering", () => {
  it("finds the renderer's sources and its layers", () => {
    const layers = new Set(files.map(layerOf));
    for (const layer of ["lib", "services", "state", "components", "features/commands", "features/events", "root"]) {
      expect(layers, layer).toContain(layer);
    }
    expect(files.filter((f) => layerOf(f).startsWith("unknown"))).toEqual([]);
  });

  it("features never import each other; a layer imports only the layers below it and src/shared", () => {
    const violations: string[] = [];
    for (const file of files) {
      const from = layerOf(file);
      for (const spec of importsOf(file)) {
        const target = targetOf(file, spec);
        if (target.kind === "file" && !allowed(from, target.layer)) violations.push(`${file} (${from}) imports ${spec} (${target.layer})`);
      }
    }
    expect(violations).toEqual([]);
  });

  it("lib and services do not use React (they are plain objects the root creates)", () => {
    const violations: string[] = [];
    for (const file of files.filter((f) => ["lib", "services"].includes(layerOf(f)))) {
      for (const spec of importsOf(file)) {
        const target = targetOf(file, spec);
        if (target.kind === "package" && /^react(-dom)?$/.test(target.name)) violations.push(`${file} imports ${spec}`);
      }
    }
    expect(violations).toEqual([]);
  });

  it("the checker sees every way of importing, and tells the layers apart", () => {
    const probe = 'import a from "./a.js"; import "./side.js"; export * from "./b.js"; import type { T } from "./t.js"; void import("./c.js"); require("./d.js");';
    expect(ts.preProcessFile(probe, true, true).importedFiles.map((f) => f.fileName)).toEqual(["./a.js", "./side.js", "./b.js", "./t.js", "./c.js", "./d.js"]);
    expect(targetOf("features/tamper/cases.ts", "../commands/execute.js")).toEqual({ kind: "file", layer: "features/commands" });
    expect(allowed("features/tamper", "features/commands")).toBe(false);
    expect(allowed("features/tamper", "features/tamper")).toBe(true);
    expect(allowed("state", "features/events")).toBe(false);
    expect(allowed("services", "state")).toBe(false);
    expect(targetOf("services/http.ts", "../../gateway/gateway.js")).toEqual({ kind: "file", layer: "outside" });
    expect(allowed("root", "outside")).toBe(false);
    expect(layerOf("api/http.ts")).toBe("unknown api");
    expect(allowed("root", "unknown api")).toBe(false);
  });
});

describe("renderer state: one pattern", () => {
  it("holds no module-level mutable state: no top-level let/var, no top-level instance (create it in the root instead)", () => {
    const violations: string[] = [];
    for (const file of files) {
      for (const statement of parse(file).statements) {
        if (!ts.isVariableStatement(statement)) continue;
        const list = statement.declarationList;
        const isConst = (list.flags & ts.NodeFlags.Const) !== 0;
        for (const decl of list.declarations) {
          const name = decl.name.getText();
          if (!isConst) violations.push(`${file}: module-level let/var ${name}`);
          else if (decl.initializer && ts.isNewExpression(decl.initializer)) violations.push(`${file}: module-level instance ${name}`);
        }
      }
    }
    expect(violations).toEqual([]);
  });

  it("reads every store with useSyncExternalStore in state/context.tsx only, through one React context", () => {
    const callers = (name: string) => files.filter((f) => calledNames(parse(f)).includes(name));
    expect(callers("useSyncExternalStore")).toEqual(["state/context.tsx"]);
    expect(callers("createContext")).toEqual(["state/context.tsx"]);
  });
});
