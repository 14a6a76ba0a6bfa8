// The standalone backend's own backend token, when neither `--token-file` nor GALAXY_BACKEND_TOKEN
// gives one (token-source.ts): made once and kept in a 0600 file beside its state.
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { stateFilePath, writeFileAtomic } from "../node/atomic-file.js";
import { generateBackendToken, readBackendTokenFile } from "../node/backend-token.js";

/** The file the standalone backend keeps its generated token in, inside its state folder. */
export const BACKEND_TOKEN_FILE = "backend-token";

export interface StoredToken {
  token: string;
  file: string;
  /** Removes what only this run needed (the private temp folder of a run without a state folder). */
  cleanup(): Promise<void>;
}

/**
 * The token kept in `<stateDir>/backend-token`: reused when it exists (a restarted backend keeps
 * answering the gateways that know it), else generated and written with mode 0600. Without a state
 * folder the state lives in memory only, so the token does too: a fresh one per run, in a private
 * (0700) temp folder removed on a clean exit.
 */
export async function storedBackendToken(stateDir: string | undefined): Promise<StoredToken> {
  const dir = stateDir ?? (await mkdtemp(path.join(os.tmpdir(), "galaxy-backend-")));
  const cleanup = stateDir === undefined ? () => rm(dir, { recursive: true, force: true }) : async () => {};
  const file = stateFilePath(dir, BACKEND_TOKEN_FILE);
  if (existsSync(file)) return { token: readBackendTokenFile(file), file, cleanup };
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const token = generateBackendToken();
  await writeFileAtomic(file, `${token}\n`, { mode: 0o600 });
  return { token, file, cleanup };
}
