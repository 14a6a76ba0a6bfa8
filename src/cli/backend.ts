// `npm run backend -- [--host H] [--port P] [--state-dir D]`: the mock backend alone, for pointing a
// gateway (or curl) at it. With --state-dir its state survives restarts (and kill -9). SIGINT/SIGTERM/
// SIGHUP, or its parent process dying, closes it and exits 0.
import path from "node:path";
import { startMockBackend } from "../backend/server.js";
import { fail, parseFlags, parsePort, stopOnSignals, type CommandLine } from "./command-line.js";

const cli: CommandLine = {
  name: "backend",
  usage: "usage: npm run backend -- [--host 127.0.0.1] [--port 8788] [--state-dir DIR]",
};

const flags = parseFlags(cli, process.argv.slice(2), {
  host: { type: "string", default: "127.0.0.1" },
  port: { type: "string", default: "8788" },
  "state-dir": { type: "string" },
});
const host = flags.host!;
const port = parsePort(cli, flags.port);
if (!host) fail(cli, "--host must not be empty");
const stateDir = flags["state-dir"];
if (stateDir !== undefined && stateDir.trim() === "") fail(cli, "--state-dir must not be empty");

const stopper = stopOnSignals(cli);
const backend = await startMockBackend({ host, port, ...(stateDir !== undefined ? { stateDir: path.resolve(stateDir) } : {}) }).catch(
  (err: unknown) => {
    console.error(`backend: cannot start on ${host}:${port}: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
console.log(`Mock backend ready at ${backend.url}`);
stopper.closeWith(() => backend.close());
