// `npm run backend -- [--host H] [--port P] [--state-dir D] [--token-file F] [--stubs DIR] [--playback DIR]`: the mock backend alone,
// for pointing a gateway at it. With --state-dir its state survives restarts (and kill -9). Ctrl-C /
// SIGTERM/SIGHUP, or its parent process dying, closes it and exits 0. It answers only callers that send its backend token
// (X-Galaxy-Backend-Token): from --token-file, else GALAXY_BACKEND_TOKEN, else one it generates and
// writes to <state-dir>/backend-token (backend-token.ts).
import path from "node:path";
import { startMockBackend } from "../backend/server.js";
import { BACKEND_TOKEN_ENV, BACKEND_TOKEN_RULE } from "../node/backend-token.js";
import { storedBackendToken } from "./backend-token.js";
import { tokenFromSources, TokenError } from "./token-source.js";
import { fail, parseFlags, parsePort, stopOnSignals, type CommandLine } from "./command-line.js";

const cli: CommandLine = {
  name: "backend",
  usage: `usage: npm run backend -- [options]
  --host H            listen address (default 127.0.0.1)
  --port P            listen port, 0 = any free port (default 8788)
  --state-dir D       keep the state (and the generated backend token) in D across restarts
  --token-file F      the backend token callers must send (default: $GALAXY_BACKEND_TOKEN, else one is
                      generated into D/backend-token, or a temp folder without --state-dir)
  --stubs DIR         load the stub mappings of every *.json in DIR at start
  --playback DIR      play back the recording in DIR (recorded with the emulator's --record); not with --state-dir`,
};

const flags = parseFlags(cli, process.argv.slice(2), {
  host: { type: "string", default: "127.0.0.1" },
  port: { type: "string", default: "8788" },
  "state-dir": { type: "string" },
  "token-file": { type: "string" },
  stubs: { type: "string" },
  playback: { type: "string" },
});
const host = flags.host!;
const port = parsePort(cli, flags.port);
if (!host) fail(cli, "--host must not be empty");
const stateDir = flags["state-dir"];
if (stateDir !== undefined && stateDir.trim() === "") fail(cli, "--state-dir must not be empty");
const resolvedStateDir = stateDir === undefined ? undefined : path.resolve(stateDir);
const playbackDir = flags.playback === undefined ? undefined : path.resolve(flags.playback);
if (playbackDir !== undefined && stateDir !== undefined) fail(cli, "--playback keeps no state (every start is the recording again): not with --state-dir");

const stopper = stopOnSignals(cli);
let given: string | undefined;
try {
  // Never a plain flag for this one: it is new, so nothing depends on one.
  given = tokenFromSources({ what: "the backend token", rule: BACKEND_TOKEN_RULE, file: { flag: "--token-file", path: flags["token-file"] }, env: BACKEND_TOKEN_ENV }).token;
} catch (err) {
  if (!(err instanceof TokenError)) throw err;
  fail(cli, err.message);
}
const stored =
  given === undefined
    ? await storedBackendToken(resolvedStateDir).catch((err: unknown) => {
        console.error(`backend: cannot set up the backend token: ${err instanceof Error ? err.message : String(err)}`);
        process.exit(1);
      })
    : undefined;
const token = given ?? stored!.token;

const stubsDir = flags.stubs === undefined ? undefined : path.resolve(flags.stubs);
const backend = await startMockBackend({
  host,
  port,
  token,
  ...(resolvedStateDir !== undefined ? { stateDir: resolvedStateDir } : {}),
  ...(stubsDir !== undefined ? { stubsDir } : {}),
  ...(playbackDir !== undefined ? { playbackDir } : {}),
}).catch(
  async (err: unknown) => {
    console.error(`backend: cannot start on ${host}:${port}: ${err instanceof Error ? err.message : String(err)}`);
    await stored?.cleanup();
    process.exit(1);
  },
);
if (stored) {
  console.log(`Backend token in ${stored.file} (gateway: npm run emulator -- --backend ${backend.url} --backend-token-file ${stored.file})`);
}
console.log(`Mock backend ready at ${backend.url}`);
stopper.closeWith(async () => {
  await backend.close();
  await stored?.cleanup();
});
