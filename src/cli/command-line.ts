// What the two CLIs share: strict flag parsing that exits 2 with the usage on bad input, and a clean
// close on SIGINT/SIGTERM (exit 0, or 1 if closing failed).
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

/** Parses strict flags (plus -h/--help, which prints the usage and exits 0); a boolean flag reads as "true". */
export function parseFlags(
  cli: CommandLine,
  argv: string[],
  options: Record<string, { type: "string"; default?: string } | { type: "boolean" }>,
): Record<string, string | undefined> {
  let values: Record<string, string | boolean | undefined>;
  try {
    const config: ParseArgsConfig = {
      args: argv,
      options: { ...options, help: { type: "boolean", short: "h" } },
      strict: true,
      allowPositionals: false,
    };
    ({ values } = parseArgs(config) as { values: Record<string, string | boolean | undefined> });
  } catch (err) {
    fail(cli, err instanceof Error ? err.message : String(err));
  }
  if (values.help) {
    console.log(cli.usage);
    process.exit(0);
  }
  return Object.fromEntries(
    Object.entries(values).map(([name, value]) => [name, value === true ? "true" : value === false ? undefined : value]),
  );
}

export function parsePort(cli: CommandLine, text: string | undefined): number {
  if (!/^[0-9]{1,5}$/.test(text ?? "") || Number(text) > 65_535) fail(cli, `--port must be an integer 0..65535, got "${text}"`);
  return Number(text);
}

/** Closes the running service once on SIGINT/SIGTERM, then exits. */
export function closeOnSignals(cli: CommandLine, close: () => Promise<void>): void {
  let stopping = false;
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      close().then(
        () => process.exit(0),
        (err: unknown) => {
          console.error(`${cli.name}: error while closing`, err);
          process.exit(1);
        },
      );
    });
  }
}
