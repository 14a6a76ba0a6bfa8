// "Copy as" commands survive a real shell: whatever the payload holds (quotes, $, backticks,
// newlines), the shell hands buf/curl/grpcurl exactly the JSON the console signed.
import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { copyAsCommand, shellQuote } from "../../src/renderer/lib/copy-as.js";

const nasty = `{"text":"it's $HOME \`id\` \\"quoted\\"\\n o7"}`;

describe("copy as", () => {
  it("shell-quotes so that sh passes the text through unchanged", () => {
    expect(execFileSync("sh", ["-c", `printf %s ${shellQuote(nasty)}`]).toString()).toBe(nasty);
  });

  it("builds each command with the data as one argument and the gateway's address", () => {
    const argsOf = (command: string) =>
      JSON.parse(execFileSync("sh", ["-c", `node -e 'console.log(JSON.stringify(process.argv.slice(1)))' -- ${command.replace(/^\S+ /, "")}`]).toString()) as string[];
    const origin = "http://127.0.0.1:8787";
    expect(argsOf(copyAsCommand("buf-curl", origin, nasty))).toEqual(["curl", "--protocol", "connect", "--data", nasty, `${origin}/galaxy.gateway.v1.EdgeGateway/ExecuteCommand`]);
    expect(argsOf(copyAsCommand("curl", origin, nasty))).toEqual([
      "-sS", "-X", "POST", "-H", "Content-Type: application/json", "-H", "Connect-Protocol-Version: 1", "--data-binary", nasty, `${origin}/galaxy.gateway.v1.EdgeGateway/ExecuteCommand`,
    ]);
    expect(argsOf(copyAsCommand("grpcurl", origin, nasty))).toEqual(["-plaintext", "-d", nasty, "127.0.0.1:8787", "galaxy.gateway.v1.EdgeGateway/ExecuteCommand"]);
    expect(argsOf(copyAsCommand("grpcurl", "https://gw.local:8443", "{}"))).toEqual(["-d", "{}", "gw.local:8443", "galaxy.gateway.v1.EdgeGateway/ExecuteCommand"]);
  });
});
