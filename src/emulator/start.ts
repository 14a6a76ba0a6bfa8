// Composition root of the headless emulator: the mock backend (unless a real backend URL is given)
// and the gateway in front of it, wired together over HTTP only.
// (Implementation lands with the gateway; this file fixes the interface the CLI and Electron use.)

export interface EmulatorOptions {
  host?: string;
  /** 0 picks a free port. Default 8787. */
  port?: number;
  /** "mock" (default) starts the mock backend on a free loopback port; otherwise a backend base URL. */
  backend?: string;
  freshnessMs?: number;
  /** Where the gateway key (and other persisted state) lives. */
  stateDir: string;
  /** When set, the control plane requires `Authorization: Bearer <token>` (and may be reached off-loopback). */
  accessToken?: string;
  /** The built renderer (`dist/renderer`) served as the web console at `/`; omitted: no console. */
  consoleDir?: string;
}

export interface RunningEmulator {
  /** http://host:port of the gateway listener (the console is at `${url}/`). */
  url: string;
  /** Base URL of the mock backend, when one was started. */
  mockBackendUrl?: string;
  /** Gateway shutdown order of §5 (push hub, then HTTP), then the mock backend. */
  close(): Promise<void>;
}

export async function startEmulator(_options: EmulatorOptions): Promise<RunningEmulator> {
  throw new Error("not implemented yet");
}
