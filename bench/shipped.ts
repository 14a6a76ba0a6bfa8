// The system under test as it ships: the gateway and mock backend processes load the compiled
// dist/node (what `npm start`, `npx galaxy-gateway-emulator` and the npm package run), not the sources
// through tsx. tsx's esbuild transform wraps every named function and closure in a `__name(…)` call
// (keepNames), which the tsc build does not: ~1.5% of the gateway's busy time in a profile of
// exec.full, and not a cost any user pays. `npm run bench` builds first; the types come from src/.
import { existsSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
/** `BENCH_DIST_NODE` points at another build (bench/ab.ts compares two builds side by side). */
const DIST_NODE = process.env.BENCH_DIST_NODE ?? path.join(ROOT, "dist", "node");

/** Imports `dist/node/<module>.js`; fails with what to run when the build is missing. */
export async function importShipped<T>(module: string): Promise<T> {
  const file = path.join(DIST_NODE, `${module}.js`);
  if (!existsSync(file)) throw new Error(`${path.relative(process.cwd(), file)} not found: run \`npm run build:node\` first (\`npm run bench\` does)`);
  return (await import(pathToFileURL(file).href)) as T;
}

/**
 * Why dist/node cannot be measured, or undefined when it can: missing, or a source it is built from
 * (tsconfig.build.json: src/ without the renderer and preload) changed after the build, which
 * `tsx bench/run.ts` run directly would otherwise measure without a word. tsc writes every output on
 * each build (the build is not incremental), so one output's time stands for all. A build named by
 * BENCH_DIST_NODE was chosen on purpose: not checked.
 */
export function staleBuild(): string | undefined {
  if (process.env.BENCH_DIST_NODE !== undefined) return undefined;
  const built = path.join(ROOT, "dist", "node", "gateway", "gateway.js");
  if (!existsSync(built)) return "dist/node not found: run `npm run build:node` first (`npm run bench` does)";
  const builtAt = statSync(built).mtimeMs;
  const src = path.join(ROOT, "src");
  const newer = newestSource(src, new Set([path.join(src, "renderer"), path.join(src, "preload")]));
  if (newer && newer.mtimeMs > builtAt) {
    return `${path.relative(process.cwd(), newer.file)} changed after dist/node was built: run \`npm run build:node\` first (\`npm run bench\` does)`;
  }
  return undefined;
}

function newestSource(dir: string, skip: ReadonlySet<string>): { file: string; mtimeMs: number } | undefined {
  let newest: { file: string; mtimeMs: number } | undefined;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (skip.has(file)) continue;
      const inner = newestSource(file, skip);
      if (inner && (!newest || inner.mtimeMs > newest.mtimeMs)) newest = inner;
    } else if (entry.name.endsWith(".ts")) {
      const mtimeMs = statSync(file).mtimeMs;
      if (!newest || mtimeMs > newest.mtimeMs) newest = { file, mtimeMs };
    }
  }
  return newest;
}
