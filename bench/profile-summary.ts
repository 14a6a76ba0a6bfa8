// `npx tsx bench/profile-summary.ts bench/profiles/CPU.*.cpuprofile`: where a --cpu-prof profile of the
// gateway process spent its busy time, by category (the first rule matching a frame on the stack wins),
// then the functions with the most inclusive time among the gateway's own code.
import { readFileSync } from "node:fs";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const CATEGORIES: [string, RegExp][] = [
  ["idle", /^\(idle\)/],
  ["garbage collection", /^\(garbage collector\)/],
  ["Ed25519 verify (node:crypto)", /^verifyOneShot /],
  ["Ed25519 sign (node:crypto)", /^signOneShot /],
  ["SHA-256", /^sha256Node /],
  ["module loading (start-up)", /esm\/(loader|hooks|module_job|translators)|pkg:tsx|compileForInternalLoader|cjs\/loader/],
  ["mock backend (node:http server + routes)", /src\/backend\/|_http_server/],
  ["gateway → backend REST client (undici)", /src\/gateway\/backend\/rest-client|pkg:undici|_http_client|_http_agent/],
  ["signing inputs", /signing-input/],
  ["journal", /src\/gateway\/journal|^record src\/gateway\/edge-service/],
  ["other pipeline stages", /src\/gateway\/stages\/|runPipeline/],
  ["response / event envelopes", /src\/gateway\/signing\/signed-messages/],
  ["push hub + dispatcher", /src\/gateway\/push\//],
  ["protobuf (de)serialisation", /pkg:@bufbuild\/protobuf/],
  ["connect-node + node:http2 server", /pkg:@connectrpc|http2|rpc-adapter/],
];
const OTHER = "node internals (net, streams, timers, events)";

function frameName(node: ProfileNode): string {
  // No line numbers: they differ between the sources and the build.
  const { functionName, url } = node.callFrame;
  // The bench runs the compiled build (bench/shipped.ts): dist/node/ mirrors src/, so it is named as src/;
  // so is a copy of it under scratch/ (bench/ab.ts).
  const where = url
    .replace(/^file:\/\/.*?\/(?:dist\/node|scratch\/[^/]+|(src|bench|node_modules))\//, (_, dir: string | undefined) => `${dir ?? "src"}/`)
    .replace(/node_modules\/(@[^/]+\/[^/]+|[^/]+)\/.*/, "pkg:$1");
  return `${functionName || "(anonymous)"} ${where}`;
}

function summarise(file: string): string {
  const profile = JSON.parse(readFileSync(file, "utf8")) as Profile;
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const names = new Map(profile.nodes.map((n) => [n.id, frameName(n)]));

  const byCategory = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let busy = 0;
  let total = 0;
  profile.samples.forEach((leaf, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    total += dt;
    const stack: string[] = [];
    for (let id: number | undefined = leaf; id !== undefined; id = parent.get(id)) stack.push(names.get(id)!);
    if (stack[0]!.startsWith("(idle)")) return;
    busy += dt;
    let category = OTHER;
    find: for (const [name, re] of CATEGORIES) {
      for (const frame of stack) {
        if (re.test(frame)) {
          category = name;
          break find;
        }
      }
    }
    byCategory.set(category, (byCategory.get(category) ?? 0) + dt);
    for (const frame of new Set(stack)) if (frame.includes(" src/gateway/")) inclusive.set(frame, (inclusive.get(frame) ?? 0) + dt);
  });
  const pct = (t: number) => `${((100 * t) / busy).toFixed(1).padStart(5)}%`;
  const lines = [`${file}: ${(total / 1e6).toFixed(1)} s profiled, ${(busy / 1e6).toFixed(1)} s busy`, "by category (% of busy time):"];
  for (const [name, t] of [...byCategory].sort((a, b) => b[1] - a[1])) lines.push(`  ${pct(t)}  ${name}`);
  lines.push("gateway functions, inclusive (% of busy time):");
  for (const [name, t] of [...inclusive].sort((a, b) => b[1] - a[1]).slice(0, 15)) lines.push(`  ${pct(t)}  ${name}`);
  return lines.join("\n");
}

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error("usage: tsx bench/profile-summary.ts <file.cpuprofile>…");
  process.exit(2);
}
for (const file of files) console.log(summarise(file));
