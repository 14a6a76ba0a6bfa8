// `npm run emulator` runs this first: the web console is served from dist/renderer, so build it once
// if it is missing (a later `npm run build` refreshes it). Never fails the emulator's start: without a
// console the emulator still serves everything else and says so.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
if (!existsSync(path.join(root, "dist", "renderer", "index.html"))) {
  console.log("Building the web console once (dist/renderer) …");
  const built = spawnSync("npm", ["run", "--silent", "build:renderer"], { cwd: root, stdio: ["ignore", "ignore", "inherit"] });
  if (built.status !== 0) console.error("The web console could not be built; the emulator starts without it.");
}
