// `npx tsx bench/ab.ts [--rounds N] [--profile] [--mock-in-process] BUILD …`: gateway CPU per
// ExecuteCommand of one or more builds (each a copy of dist/node inside the project, e.g.
// `cp -r dist/node scratch/before`, so that its imports find node_modules) against the bare server, in
// the same conditions: every gateway is started and primed first, then each round runs the bare server
// and every build back to back (1 s warm-up, 3 s measured, 64 concurrent), the order rotating from
// round to round. The layout is the bench's (bench/run.ts): each gateway's mock backend in its own
// process, or in the gateway's with --mock-in-process. Prints each build's median CPU per call (and its
// mock's) and its median ratio to the bare server of the same round. One full bench run drifts ±25%
// with the machine's speed; an A/B of this kind resolves changes of a few percent.
import { existsSync } from "node:fs";
import path from "node:path";
import { CpuMeter, usPerOp, type CpuReport } from "./cpu.js";
import { primePushStream, signInDevices } from "./devices.js";
import { BARE_DEVICE, measureBare, measureFull, type ExecPhase } from "./exec.js";
import { killAllChildren, startChild, type Child } from "./proc.js";
import { median } from "./stats.js";
import { startSystemUnderTest, type StartChild } from "./system-under-test.js";

const USAGE = "usage: npx tsx bench/ab.ts [--rounds N] [--profile] [--mock-in-process] BUILD … (BUILD: a copy of dist/node, e.g. scratch/before)";

function usageError(message: string): never {
  process.stderr.write(`[ab] ${message}\n${USAGE}\n`);
  process.exit(2);
}

function parseArgs(argv: string[]): { rounds: number; profile: boolean; mockInProcess: boolean; builds: string[] } {
  const parsed = { rounds: 8, profile: false, mockInProcess: false, builds: [] as string[] };
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i]!;
    if (arg === "--profile") parsed.profile = true;
    else if (arg === "--mock-in-process") parsed.mockInProcess = true;
    else if (arg === "--rounds") {
      const rounds = Number(argv[(i += 1)]);
      if (!Number.isInteger(rounds) || rounds < 1) usageError("--rounds takes a positive integer");
      parsed.rounds = rounds;
    } else if (arg.startsWith("-")) usageError(`unknown flag ${arg}`);
    else {
      const build = path.resolve(arg);
      if (!existsSync(path.join(build, "gateway", "gateway.js"))) usageError(`${arg} is not a build: no gateway/gateway.js in it`);
      parsed.builds.push(build);
    }
  }
  if (parsed.builds.length === 0) usageError("name at least one build");
  return parsed;
}

const { rounds, profile, mockInProcess, builds } = parseArgs(process.argv.slice(2));
const PHASE: ExecPhase = { concurrency: 64, warmupMs: 1_000, durationMs: 3_000 };
type Measured = { cpu: CpuReport; all_calls: number };

const children: Child[] = [];
const child: StartChild = (name, script, options) => {
  const c = startChild(name, script, options);
  children.push(c);
  return c;
};
const fmt = (us: number[]) => `median ${median(us).toFixed(0)} µs per call (${us.map((v) => v.toFixed(0)).join(", ")})`;

try {
  const client = child("load-client", "./load-client.ts");
  const echo = child("echo-server", "./echo-server.ts");
  const bareUrl = (await echo.call<{ url: string }>("start")).url;
  const bareMeter = new CpuMeter(() => ({ echo_server: echo.pid }));
  const sides: { name: string; run: () => Promise<Measured>; process: string }[] = [
    { name: "bare server", run: () => measureBare(client, bareUrl, [BARE_DEVICE], PHASE, bareMeter), process: "echo_server" },
  ];
  for (const [i, build] of builds.entries()) {
    const { url, key, gateway, mock } = await startSystemUnderTest(child, { mockInProcess, profile, env: { BENCH_DIST_NODE: build }, nameSuffix: `-${i}` });
    const devices = await signInDevices(url, 16, `ab-${i}-${Date.now()}`);
    await primePushStream(url, devices[0]!.userId);
    const meter = new CpuMeter(() => ({ gateway: gateway.pid, ...(mock ? { mock: mock.pid } : {}) }));
    sides.push({ name: path.relative(process.cwd(), build) || build, run: () => measureFull(client, url, devices, key, PHASE, meter), process: "gateway" });
  }
  for (const side of sides) await side.run(); // one unrecorded round each: JIT, pools and caches warm
  const us = sides.map(() => [] as number[]);
  const mockUs = sides.map(() => [] as number[]);
  const ratios = sides.map(() => [] as number[]);
  for (let r = 0; r < rounds; r += 1) {
    const round: number[] = [];
    for (let k = 0; k < sides.length; k += 1) {
      const i = (k + r) % sides.length;
      const result = await sides[i]!.run();
      round[i] = usPerOp(result.cpu, sides[i]!.process, result.all_calls);
      if ("mock" in result.cpu.processes) mockUs[i]!.push(usPerOp(result.cpu, "mock", result.all_calls));
    }
    round.forEach((v, i) => {
      us[i]!.push(v);
      ratios[i]!.push(v / round[0]!);
    });
    process.stderr.write(`[ab] round ${r + 1}: ${round.map((v) => v.toFixed(0)).join(" / ")} µs per call\n`);
  }
  for (const [i, side] of sides.entries()) {
    const mock = mockUs[i]!.length > 0 ? `; its mock backend ${fmt(mockUs[i]!)}` : "";
    const ratio = i === 0 ? "" : `; ratio to bare: median ${median(ratios[i]!).toFixed(2)}`;
    process.stdout.write(`${side.name}: ${fmt(us[i]!)}${mock}${ratio}\n`);
  }
} finally {
  await Promise.all(children.map((c) => c.stop(profile ? 10_000 : 3_000)));
  killAllChildren();
}
