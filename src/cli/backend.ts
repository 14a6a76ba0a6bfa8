// `npm run backend -- [--host H] [--port P] [--state-dir D]`: the mock backend alone, for pointing a
// gateway (or curl) at it. With --state-dir its state survives restarts (and kill -9). Ctrl-C / SIGTERM
// closes it and exits 0.
import path from "node:path";
import { parseArgs } from "node:util";
import { startMockBackend } from "../backend/server.js";

const USAGE = "usage: npm run backend -- [--host 127.0.0.1] [--port 8788] [--state-dir DIR]";

function parseOptions(): { host: string; port: number; stateDir?: string } {
  let values: { host?: string; port?: string; "state-dir"?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      options: {
        host: { type: "string", default: "127.0.0.1" },
        port: { type: "string", default: "8788" },
        "state-dir": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    fail(err instanceof Error ? err.message : String(err));
  }
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const port = Number(values.port);
  if (!/^[0-9]+$/.test(values.port ?? "") || port > 65_535) fail(`--port must be an integer 0..65535, got "${values.port}"`);
  if (!values.host) fail("--host must not be empty");
  const stateDir = values["state-dir"];
  if (stateDir !== undefined && stateDir.trim() === "") fail("--state-dir must not be empty");
  return { host: values.host, port, ...(stateDir !== undefined ? { stateDir: path.resolve(stateDir) } : {}) };
}

function fail(message: string): never {
  console.error(`backend: ${message}\n${USAGE}`);
  process.exit(2);
}

const { host, port, stateDir } = parseOptions();
const backend = await startMockBackend({ host, port, stateDir }).catch((err: unknown) => {
  console.error(`backend: cannot start on ${host}:${port}: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
console.log(`Mock backend ready at ${backend.url}`);

let stopping = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    backend.close().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error("backend: error while closing", err);
        process.exit(1);
      },
    );
  });
}
