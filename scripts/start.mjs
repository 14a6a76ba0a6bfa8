// `npm start` (after the build): the desktop app when an Electron binary is installed, otherwise
// the headless emulator CLI, whose console URL opens in any browser. Arguments are passed through.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { findElectronBinary } from "./electron-binary.mjs";

const projectDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const electron = findElectronBinary({ projectDir });

let command;
let commandArgs;
const env = { ...process.env };
if (electron.found) {
  command = electron.executablePath;
  commandArgs = [".", ...args];
  // Inherited from some tooling, this would make Electron behave as plain Node.
  delete env.ELECTRON_RUN_AS_NODE;
} else {
  const cli = path.join(projectDir, "dist", "node", "cli", "emulator.js");
  console.log(
    `Electron binary not installed (${electron.reason}) — starting the headless emulator; open the console URL below.`,
  );
  if (!existsSync(cli)) {
    console.error(`${path.relative(projectDir, cli)} not found: run \`npm run build\` first.`);
    process.exit(1);
  }
  command = process.execPath;
  commandArgs = [cli, ...args];
}

const child = spawn(command, commandArgs, { cwd: projectDir, env, stdio: "inherit" });

// Ctrl-C reaches the whole process group anyway; forwarding covers a signal sent to this process
// alone (kill <pid>, a supervisor). The child is expected to treat a repeated signal idempotently.
const forwarded = ["SIGINT", "SIGTERM", "SIGHUP"].filter((s) => process.platform !== "win32" || s !== "SIGHUP");
const forward = (signal) => {
  if (child.exitCode === null && child.signalCode === null) child.kill(signal);
};
for (const signal of forwarded) process.on(signal, forward);

child.on("error", (error) => {
  console.error(`could not start ${command}: ${error.message}`);
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
