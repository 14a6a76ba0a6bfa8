// `npm run cluster` as a user runs it: a child process (own process group, as a shell job) that prints
// one ready line, serves signed calls and streams through the shared port (or one port per gateway with
// --ports), and on Ctrl-C (SIGINT to the whole group) ends the streams as a gateway shutdown does
// (push hub first), exits 0 and leaves no process behind: no npm, no gateway worker, no redis-server.
// And `npm run emulator -- --redis URL --gateway-key F`, one instance of a cluster run by hand.
import { afterEach, describe, expect, it } from "vitest";
import { existsSync, readFileSync, readlinkSync } from "node:fs";
import path from "node:path";
import { killProcessesNaming, processesNaming, spawnChild, spawnTs, type Child } from "../hardening/children.js";
import { reasonOf } from "../hardening/support.js";
import { eventually, outcome, profileGet } from "../support/cluster.js";
import { getJson, signIn, subscribe, tempDir } from "../support/emulator.js";
import { startRedis } from "../support/redis.js";

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

describe("npm run cluster killed with SIGKILL", () => {
  it(
    "leaves no redis-server and no temp dir behind (its reaper stops them)",
    async () => {
      const child = spawnChild("npm", ["run", "cluster", "--", "--workers", "1", "--port", "0"], {
        label: "npm run cluster",
        env: { npm_config_update_notifier: "false" },
        detached: true,
      });
      const [, , redisAddress] = await child.line(READY);
      leftovers.push(redisAddress!);
      const [redisPid] = processesNaming(redisAddress!);
      const stateDir = redisDirOf(redisPid!);
      expect(existsSync(stateDir)).toBe(true);
      const primary = clusterPrimary(child.process.pid!);
      process.kill(primary, "SIGKILL");
      await child.exited;
      await eventually(() => !alive(redisPid!), "the private redis-server to be stopped", 30_000);
      await eventually(() => !existsSync(stateDir), "the cluster's temp dir to be removed", 30_000);
    },
    TEST_TIMEOUT_MS,
  );
});

/** Running (a zombie no one has reaped yet has stopped: it holds no port, no memory). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return readFileSync(`/proc/${pid}/stat`, "utf8").replace(/^.*\) /s, "")[0] !== "Z";
  } catch {
    return false; // gone while we looked
  }
}

/** The cluster's own temp state dir: the parent of redis-server's working dir (galaxy-cluster-…/redis-…). */
function redisDirOf(pid: number): string {
  return path.dirname(readlinkSync(`/proc/${pid}/cwd`));
}

/** The `npm run cluster` primary: the cluster.ts process npm started (the workers are its children). */
function clusterPrimary(npmPid: number): number {
  const parentOf = (pid: number) => Number(readFileSync(`/proc/${pid}/stat`, "utf8").replace(/^.*\) /s, "").split(" ")[1]);
  const primaries = processesNaming("src/cli/cluster.ts").filter((pid) => parentOf(pid) === npmPid);
  expect(primaries).toHaveLength(1);
  return primaries[0]!;
}

describe("npm run emulator -- --redis URL", () => {
  it("refuses a URL that is not redis:// (exit 2, naming the flag)", async () => {
    const child = spawnTs("src/cli/emulator.ts", ["--port", "0", "--state-dir", tempDir(), "--redis", "http://127.0.0.1:6379"]);
    const [code] = await child.exited;
    expect(code).toBe(2);
    expect(child.stderr()).toContain('emulator: --redis: redis URL must start with redis:// or rediss://, got "http:"');
  });

  it(
    "takes the URL from GALAXY_REDIS_URL, and warns when --redis carries a password (visible in ps)",
    async () => {
      const redis = await startRedis();
      try {
        const fromEnv = spawnChild(process.execPath, ["--import", "tsx", "src/cli/emulator.ts", "--port", "0", "--state-dir", tempDir()], {
          label: "emulator with GALAXY_REDIS_URL",
          env: { GALAXY_REDIS_URL: redis.url },
        });
        const [, url] = await fromEnv.line(/^Gateway emulator ready at (\S+)$/);
        expect((await getJson(`${url}/emulator/v1/config`)).json.redis).toBe(redis.url);
        expect(fromEnv.stderr()).not.toContain("warning");
        fromEnv.process.kill("SIGTERM");
        expect((await fromEnv.exited)[0]).toBe(0);

        // A password-less Redis given a password answers AUTH with an error ioredis passes over.
        const withPassword = spawnTs("src/cli/emulator.ts", ["--port", "0", "--state-dir", tempDir(), "--redis", `redis://:hunter22@127.0.0.1:${redis.port}`]);
        await withPassword.line(/^Gateway emulator ready at (\S+)$/);
        expect(withPassword.stderr()).toContain("emulator: warning: --redis carries a password, visible to every local user (ps, /proc); prefer GALAXY_REDIS_URL");
        expect(withPassword.stderr()).not.toContain("hunter22");
        withPassword.process.kill("SIGTERM");
        expect((await withPassword.exited)[0]).toBe(0);
      } finally {
        await redis.stop();
      }
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "runs one instance of a cluster: its stores in Redis, the URL in GET config, the key from --gateway-key",
    async () => {
      const redis = await startRedis();
      const stateDir = tempDir("gge-emulator-redis-");
      leftovers.push(stateDir);
      try {
        const keyFile = path.join(stateDir, "shared", "key.json");
        const child = spawnTs("src/cli/emulator.ts", ["--port", "0", "--state-dir", stateDir, "--redis", redis.url, "--gateway-key", keyFile]);
        const [, url] = await child.line(/^Gateway emulator ready at (\S+)$/);
        expect((await getJson(`${url}/emulator/v1/config`)).json.redis).toBe(redis.url);
        expect((await getJson(`${url}/healthz`)).json).toEqual({ status: "ok", redis: "ready" });
        const pilot = await signIn(url!);
        expect(await outcome(url!, profileGet(pilot))).toBe("ok");
        expect(await redis.inspect.exists("galaxy:replay:reservations")).toBe(1);
        expect(JSON.parse(readFileSync(keyFile, "utf8")).seed).toMatch(/^[A-Za-z0-9_-]{43}$/);
        child.process.kill("SIGTERM");
        expect((await child.exited)[0]).toBe(0);
      } finally {
        await redis.stop();
      }
    },
    TEST_TIMEOUT_MS,
  );
});
