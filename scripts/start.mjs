// `npm start` (after the build, its `prestart`): the desktop app when an Electron binary is installed,
// otherwise the headless emulator CLI, whose console URL opens in any browser. Arguments are passed
// through. The npm script execs this file, so npm's signals reach it directly (see README, Stopping).
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { findElectronBinary } from "./electron-binary.mjs";

/** As the CLI's parent watch (src/cli/command-line.ts): how often the parent PID is compared. */
const PARENT_WATCH_INTERVAL_MS = 500;

const projectDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const electron = findElectronBinary({ projectDir });

if (electron.found) {
  startElectron(electron.executablePath);
} else {
  const cli = path.join(projectDir, "dist", "node", "cli", "emulator.js");
  console.log(
    `Electron binary not installed (${electron.reason}) — starting the headless emulator; open the console URL below.`,
  );
  if (!existsSync(cli)) {
    console.error(`${path.relative(projectDir, cli)} not found: run \`npm run build\` first.`);
    process.exit(1);
  }
  // In this process, not a child: the PID npm (or the user) holds is the emulator itself, with the
  // CLI's own signal handling. It reads its flags from process.argv.slice(2), which are `args`.
  await import(pathToFileURL(cli).href);
}

function startElectron(executablePath) {
  const env = { ...process.env };
  // Inherited from some tooling, this would make Electron behave as plain Node.
  delete env.ELECTRON_RUN_AS_NODE;
  const child = spawn(executablePath, [".", ...args], { cwd: projectDir, env, stdio: "inherit" });

  // Ctrl-C reaches the whole process group anyway; forwarding covers a signal sent to this process
  // alone (kill <pid>, npm passing it on). Electron's main quits once however often it is asked.
  const forwarded = ["SIGINT", "SIGTERM", "SIGHUP"].filter((s) => process.platform !== "win32" || s !== "SIGHUP");
  const forward = (signal) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  };
  for (const signal of forwarded) process.on(signal, forward);
  // Our parent dying (npm killed -9) must not leave the app running: ask it to quit.
  const parentPid = process.ppid;
  const parentWatch = setInterval(() => {
    if (process.ppid === parentPid) return;
    clearInterval(parentWatch);
    forward("SIGTERM");
  }, PARENT_WATCH_INTERVAL_MS);
  parentWatch.unref();

  child.on("error", (error) => {
    console.error(`could not start ${executablePath}: ${error.message}`);
    process.exit(1);
  });
  child.on("exit", (code, signal) => {
    if (signal) {
      // Die of the same signal so whoever started us sees how the child ended.
      for (const s of forwarded) process.off(s, forward);
      process.kill(process.pid, signal);
      return;
    }
    process.exit(code ?? 1);
  });
}
