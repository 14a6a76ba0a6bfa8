// What the CLIs share: strict flag parsing that exits 2 with the usage on bad input, and a clean close
// on SIGINT/SIGTERM/SIGHUP or when the parent process dies (exit 0, or 1 if closing failed).
import os from "node:os";
import { parseArgs, type ParseArgsConfig } from "node:util";

export interface CommandLine {
  /** Prefix of every message, e.g. "emulator". */
  name: string;
  usage: string;
}

export function fail(cli: CommandLine, message: string): never {
  console.error(`${cli.name}: ${message}\n${cli.usage}`);
  process.exit(2);
}

/** A string flag (`multiple`: repeatable, every value kept in order), or a boolean switch. */
export type FlagSpec =
  | { type: "string"; default?: string; multiple?: false }
  | { type: "string"; multiple: true }
  | { type: "boolean" };

export type FlagValues<S extends Record<string, FlagSpec>> = {
  [K in keyof S]: S[K] extends { multiple: true }
    ? string[] | undefined
    : S[K] extends { type: "boolean" }
      ? boolean | undefined
      : string | undefined;
};

/** Parses strict flags (plus -h/--help, which prints the usage and exits 0). */
export function parseFlags<S extends Record<string, FlagSpec>>(cli: CommandLine, argv: string[], options: S): FlagValues<S> {
  let values: Record<string, string | string[] | boolean | undefined>;
  try {
    const config: ParseArgsConfig = {
      args: argv,
      options: { ...options, help: { type: "boolean", short: "h" } },
      strict: true,
      allowPositionals: false,
    };
    ({ values } = parseArgs(config) as { values: Record<string, string | string[] | boolean | undefined> });
  } catch (err) {
    fail(cli, err instanceof Error ? err.message : String(err));
  }
  if (values.help) {
    console.log(cli.usage);
    process.exit(0);
  }
  return values as FlagValues<S>;
}

export function parsePort(cli: CommandLine, text: string | undefined): number {
  if (!/^[0-9]{1,5}$/.test(text ?? "") || Number(text) > 65_535) fail(cli, `--port must be an integer 0..65535, got "${text}"`);
  return Number(text);
}

/**
 * What stops a CLI: Ctrl-C (SIGINT), `kill` and supervisors (SIGTERM), a closed terminal (SIGHUP).
 * (`npm run` passes SIGINT and SIGTERM on to the script; it dies of SIGHUP itself, and then the
 * parent watch below stops the CLI.)
 */
const STOP_SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;

/**
 * How often the parent PID is compared with the one at startup. Bounds how long an orphan keeps its
 * port after its parent died; the cost is one getppid() per tick, on an unref'd timer.
 */
const PARENT_WATCH_INTERVAL_MS = 500;

/**
 * Under an npm script, stop signals within this time of the first are the same stop, not a demand to
 * exit at once: Ctrl-C reaches npm and us (one process group), and npm passes its copy on, so one
 * keypress arrives twice, milliseconds apart. Someone who means "now" signals again once told they
 * can. Started any other way (the bin, node directly) nothing doubles a signal, so a second one
 * exits at once.
 */
const NPM_REPEAT_WINDOW_MS = 1_000;

export interface Stopper {
  /** The service is up: close it on the first stop (at once if one already came during startup). */
  closeWith(close: () => Promise<void>): void;
}

/**
 * Installs the stop triggers right away, before the service starts, so that none is missed:
 * - the first SIGINT/SIGTERM/SIGHUP closes the service (the §5 order for the emulator), then exits 0
 *   (1 if closing failed);
 * - one more signal (under npm: once NPM_REPEAT_WINDOW_MS has passed) (a notice says so) exits at once with 128 + its
 *   number, without waiting for the drain;
 * - the parent process dying (our parent PID changed: we were re-parented to init or a subreaper)
 *   counts as a first signal, so an orphan does not hold its port forever.
 */
export function stopOnSignals(cli: CommandLine): Stopper {
  let close: (() => Promise<void>) | undefined;
  let requested = false;
  let forcible = false;
  let closing = false;
  // A closed terminal (SIGHUP) makes writes fail with EIO: the shutdown matters more than its notices.
  process.stdout.on("error", () => {});
  process.stderr.on("error", () => {});

  const startClosing = () => {
    if (closing || !close) return;
    closing = true;
    close().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error(`${cli.name}: error while closing`, err);
        process.exit(1);
      },
    );
  };
  // npm sets npm_lifecycle_event for the script it runs (and what that script starts).
  const underNpm = Boolean(process.env.npm_lifecycle_event);
  const request = (why: string) => {
    requested = true;
    console.log(`${cli.name}: ${why}: shutting down`);
    const allowForcedExit = () => {
      forcible = true;
      console.log(`${cli.name}: still closing; signal again to exit at once`);
    };
    if (underNpm) setTimeout(allowForcedExit, NPM_REPEAT_WINDOW_MS).unref();
    else allowForcedExit();
    startClosing();
  };

  for (const signal of STOP_SIGNALS) {
    process.on(signal, () => {
      if (!requested) return request(signal);
      if (!forcible) return; // the same stop delivered twice (see NPM_REPEAT_WINDOW_MS)
      console.log(`${cli.name}: ${signal} again: exiting without waiting for calls in flight`);
      process.exit(128 + os.constants.signals[signal]);
    });
  }
  onParentExit((parentPid) => {
    if (!requested) request(`parent process ${parentPid} exited`);
  });

  return {
    closeWith(closeService) {
      close = closeService;
      if (requested) startClosing();
    },
  };
}

/**
 * Calls `then` once, when the process that started this one has exited (our parent PID changed: we
 * were re-parented to init or a subreaper). Also used by scripts/start.mjs for the Electron app.
 */
export function onParentExit(then: (parentPid: number) => void): void {
  const parentPid = process.ppid;
  const parentWatch = setInterval(() => {
    if (process.ppid === parentPid) return;
    clearInterval(parentWatch);
    then(parentPid);
  }, PARENT_WATCH_INTERVAL_MS);
  parentWatch.unref();
}
