// Cleans up after a process that dies without running its own cleanup (`kill -9`, an OOM kill): a tiny
// detached node process that holds the read end of a pipe from its parent. The kernel closes the pipe
// when the parent dies however it dies; the reaper then SIGKILLs the processes it was given and removes
// the folders, and exits. A parent that cleans up itself disarms it first (process.on("exit") hooks do
// not run on SIGKILL, which is why this exists: `npm run cluster`'s private redis-server and temp dir).
import { spawn } from "node:child_process";

/** The reaper's whole program (node -e): args are a JSON { pids, dirs }. */
const REAPER_SOURCE = `
const { rmSync } = require("node:fs");
const { pids, dirs } = JSON.parse(process.argv[1]);
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(signal, () => {});
process.stdin.on("data", () => {});
process.stdin.on("close", () => {
  for (const pid of pids) { try { process.kill(pid, "SIGKILL"); } catch {} }
  for (const dir of dirs) { try { rmSync(dir, { recursive: true, force: true }); } catch {} }
  process.exit(0);
});
`;

export interface Reaper {
  /** The parent cleans up itself: the reaper exits without touching anything. */
  disarm(): void;
}

/** Starts a reaper that, once this process is gone, kills `pids` and removes `dirs`. */
export function startReaper(pids: readonly number[], dirs: readonly string[]): Reaper {
  const child = spawn(process.execPath, ["-e", REAPER_SOURCE, JSON.stringify({ pids, dirs })], {
    // Its own process group: the terminal's Ctrl-C (sent to the parent's group) does not reach it.
    detached: true,
    stdio: ["pipe", "ignore", "ignore"],
  });
  // A reaper that cannot start leaves things as they were without one; never a crash of the parent.
  child.on("error", () => {});
  child.stdin!.on("error", () => {});
  // Neither the child nor the pipe keeps this process alive.
  child.unref();
  (child.stdin as unknown as { unref(): void }).unref();
  return {
    disarm() {
      child.kill("SIGKILL");
    },
  };
}
