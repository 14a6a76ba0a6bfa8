// src/cli/backend.ts as a real process: ready line, serving, SIGTERM → exit 0; bad flags → exit 2.
import { spawn } from "node:child_process";
import { once } from "node:events";
import path from "node:path";
import { createInterface } from "node:readline";
import { describe, expect, it } from "vitest";

const root = path.resolve(import.meta.dirname, "../..");
const tsx = path.join(root, "node_modules/.bin/tsx");
const cli = path.join(root, "src/cli/backend.ts");

function start(args: string[]) {
  const child = spawn(tsx, [cli, ...args], { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  const exited = once(child, "exit") as Promise<[number | null, NodeJS.Signals | null]>;
  return { child, exited, stderr: () => stderr };
}

describe("backend CLI", () => {
  it("prints its ready line, serves, and exits 0 on SIGTERM", async () => {
    const { child, exited, stderr } = start(["--host", "127.0.0.1", "--port", "0"]);
    try {
      const lines = createInterface({ input: child.stdout });
      let url: string | undefined;
      for await (const line of lines) {
        const match = /^Mock backend ready at (http:\/\/127\.0\.0\.1:[0-9]+)$/.exec(line);
        if (match) {
          url = match[1];
          break;
        }
      }
      expect(url, `no ready line; stderr: ${stderr()}`).toBeDefined();
      const health = await fetch(`${url}/healthz`);
      expect(await health.json()).toEqual({ status: "ok" });

      child.kill("SIGTERM");
      const [code, signal] = await exited;
      expect({ code, signal }).toEqual({ code: 0, signal: null });
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    }
  });

  it("rejects unknown flags and bad ports with a message and exit code 2", async () => {
    const cases = [["--bogus"], ["--port", "nope"], ["--port", "70000"], ["extra"]];
    const runs = cases.map((args) => ({ args, ...start(args) }));
    for (const { args, exited, stderr } of runs) {
      const [code] = await exited;
      expect(code, args.join(" ")).toBe(2);
      expect(stderr()).toMatch(/^backend: .+\nusage: /);
    }
  });
});
