// The system under test as it ships: the gateway and mock backend processes load the compiled
// dist/node (what `npm start`, `npx galaxy-gateway-emulator` and the npm package run), not the sources
// through tsx. tsx's esbuild transform wraps every named function and closure in a `__name(…)` call
// (keepNames), which the tsc build does not: ~1.5% of the gateway's busy time in a profile of
// exec.full, and not a cost any user pays. `npm run bench` builds first; the types come from src/.
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

/** `BENCH_DIST_NODE` points at another build (bench/ab.ts compares two builds side by side). */
const DIST_NODE = process.env.BENCH_DIST_NODE ?? path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "dist", "node");

/** Imports `dist/node/<module>.js`; fails with what to run when the build is missing. */
export async function importShipped<T>(module: string): Promise<T> {
  const file = path.join(DIST_NODE, `${module}.js`);
  if (!existsSync(file)) throw new Error(`${path.relative(process.cwd(), file)} not found: run \`npm run build:node\` first (\`npm run bench\` does)`);
  return (await import(pathToFileURL(file).href)) as T;
}
