// Finds an installed Electron binary WITHOUT loading the `electron` package: its index.js starts a
// download when the binary is missing, which must never happen as a side effect of `npm start`.
// Mirrors node_modules/electron/index.js: dist/<path.txt>, or ELECTRON_OVERRIDE_DIST_PATH.
import * as nodeFs from "node:fs";
import path from "node:path";

/** Executable inside an Electron dist folder when path.txt is absent (as electron's install.js writes it). */
export function defaultExecutable(platform = process.platform) {
  if (platform === "darwin") return "Electron.app/Contents/MacOS/Electron";
  if (platform === "win32") return "electron.exe";
  return "electron";
}

/**
 * @param {{ projectDir: string, env?: Record<string, string | undefined>, platform?: string,
 *           fs?: { existsSync(p: string): boolean, readFileSync(p: string, enc: "utf8"): string } }} options
 * @returns {{ found: true, executablePath: string, source: "override" | "node_modules" } | { found: false, reason: string }}
 */
export function findElectronBinary({ projectDir, env = process.env, platform = process.platform, fs = nodeFs }) {
  const packageDir = path.join(projectDir, "node_modules", "electron");
  const pathTxt = path.join(packageDir, "path.txt");
  const relative = fs.existsSync(pathTxt) ? fs.readFileSync(pathTxt, "utf8").trim() : "";
  if (relative && (path.isAbsolute(relative) || relative.split(/[\\/]/).includes(".."))) {
    return { found: false, reason: `node_modules/electron/path.txt names a path outside dist: ${relative}` };
  }

  const override = env.ELECTRON_OVERRIDE_DIST_PATH;
  if (override) {
    const executablePath = path.join(override, relative || defaultExecutable(platform));
    return fs.existsSync(executablePath)
      ? { found: true, executablePath, source: "override" }
      : { found: false, reason: `ELECTRON_OVERRIDE_DIST_PATH is set but ${executablePath} does not exist` };
  }
  if (!relative) {
    return {
      found: false,
      reason: "node_modules/electron/dist missing; its download is disabled by package.json allowScripts",
    };
  }
  const executablePath = path.join(packageDir, "dist", relative);
  return fs.existsSync(executablePath)
    ? { found: true, executablePath, source: "node_modules" }
    : { found: false, reason: `node_modules/electron/dist/${relative} missing` };
}
