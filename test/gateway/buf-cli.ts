// Runs `buf curl` (from the @bufbuild/buf devDependency) as a child process, and splits its output.
import { createRequire } from "node:module";
import path from "node:path";
import { runToEnd, type RunResult } from "../support/run.js";

export const ROOT = path.resolve(import.meta.dirname, "../..");
export const BUF = path.join(path.dirname(createRequire(import.meta.url).resolve("@bufbuild/buf/package.json")), "bin", "buf");

export type BufResult = RunResult;

/** `buf curl ARGS` (bounded by buf's own --timeout); `onStdout` sees the output so far as it grows. */
export function bufCurl(args: string[], onStdout?: (text: string) => void): Promise<BufResult> {
  return runToEnd(BUF, ["curl", "--timeout", "20s", ...args], { cwd: ROOT }, onStdout);
}

/** buf curl prints each message as a pretty JSON object; split a stream of them. */
export function jsonObjects(text: string): unknown[] {
  const out: unknown[] = [];
  let depth = 0;
  let start = -1;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === "\\") i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === "{" && depth++ === 0) start = i;
    else if (c === "}" && --depth === 0) out.push(JSON.parse(text.slice(start, i + 1)));
  }
  return out;
}
