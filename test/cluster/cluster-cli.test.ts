// `npm run cluster` as a user runs it: a child process (own process group, as a shell job) that prints
// one ready line, serves signed calls and streams through the shared port (or one port per gateway with
// --ports), and on Ctrl-C (SIGINT to the whole group) ends the streams as a gateway shutdown does
// (push hub first), exits 0 and leaves no process behind: no npm, no gateway worker, no redis-server.
import { afterEach, describe, expect, it } from "vitest";
import { killProcessesNaming, processesNaming, spawnChild, type Child } from "../hardening/children.js";
import { reasonOf } from "../hardening/support.js";
import { outcome, profileGet } from "../support/cluster.js";
import { getJson, signIn, subscribe, tempDir } from "../support/emulator.js";

/** tsx compiles the sources in the primary and in each worker: a few seconds each on a busy machine. */
const TEST_TIMEOUT_MS = 120_000;
const READY = /^Cluster ready at (.+?)(?: \(\d+ gateways sharing the port\))?; Redis redis:\/\/(127\.0\.0\.1:\d+); mock backend (\S+)$/;

const leftovers: string[] = [];
afterEach(() => {
  for (const text of leftovers.splice(0)) killProcessesNaming(text);
});

function startCluster(args: string[]): { child: Child; stateDir: string } {
  const stateDir = tempDir("gge-cluster-cli-");
  leftovers.push(stateDir);
  const child = spawnChild("npm", ["run", "cluster", "--", "--state-dir", stateDir, ...args], {
    label: "npm run cluster",
    env: { npm_config_update_notifier: "false" },
    detached: true,
  });
  return { child, stateDir };
}

async function ctrlC(child: Child): Promise<[number | null, NodeJS.Signals | null]> {
  process.kill(-child.process.pid!, "SIGINT");
  const exit = await child.exited;
  await child.gone;
  return exit;
}

describe("npm run cluster", () => {
  it(
    "starts 2 gateways on one port, serves calls and streams, and stops in order on Ctrl-C leaving no process",
    async () => {
      const { child, stateDir } = startCluster(["--workers", "2", "--port", "0"]);
      const [, url, redisAddress] = await child.line(READY);
      leftovers.push(redisAddress!);
      expect((await getJson(`${url}/healthz`)).json).toEqual({ status: "ok", redis: "ready" });
      const pilot = await signIn(url!);
      // A request accepted by whichever gateway took it is refused by all (one shared replay store).
      const request = profileGet(pilot);
      expect(await outcome(url!, request)).toBe("ok");
      expect(await outcome(url!, request)).toBe("replayed_request");
      const stream = subscribe(url!, pilot);
      await stream.next();

      expect(await ctrlC(child)).toEqual([0, null]);
      // The gateway closed its push hub before HTTP: the stream was told why it ended.
      expect(reasonOf(await stream.ended())).toBe("gateway_shutting_down");
      expect(processesNaming(stateDir)).toEqual([]);
      expect(processesNaming(redisAddress!)).toEqual([]);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "gives each gateway its own port with --ports",
    async () => {
      const { child, stateDir } = startCluster(["--workers", "2", "--port", "0", "--ports"]);
      const [, urls, redisAddress] = await child.line(READY);
      leftovers.push(redisAddress!);
      const [first, second, ...rest] = urls!.split(" ");
      expect(rest).toEqual([]);
      expect(first).not.toBe(second);
      const pilot = await signIn(first!);
      const request = profileGet(pilot);
      expect(await outcome(first!, request)).toBe("ok");
      expect(await outcome(second!, request)).toBe("replayed_request");
      expect(await ctrlC(child)).toEqual([0, null]);
      expect(processesNaming(stateDir)).toEqual([]);
      expect(processesNaming(redisAddress!)).toEqual([]);
    },
    TEST_TIMEOUT_MS,
  );
});
