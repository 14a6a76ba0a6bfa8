// A command run to its end as a test runs tools (buf, tsx, bash, the built bin): its exit code and
// everything it wrote. Rejects when the command cannot start at all.
import { spawn, type SpawnOptionsWithoutStdio } from "node:child_process";

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `onStdout` sees the output so far, each time it grows. */
export function runToEnd(command: string, args: readonly string[], options: SpawnOptionsWithoutStdio = {}, onStdout?: (text: string) => void): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, options);
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
      onStdout?.(stdout);
    });
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}
