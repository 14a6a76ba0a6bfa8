// `npx tsx bench/backend-hop.ts [module …]`: the CPU one backend REST call costs the gateway process,
// for one or more REST client implementations, measured interleaved (ABAB…) so that other work on
// the machine weighs on each alike. Each module must export createBackendRestClient with the
// signature of src/gateway/backend/rest-client.ts; the default is that file alone. To compare with an
// older implementation, put it next to the current one so its relative imports resolve, e.g.
//   git show d1b32e1:src/gateway/backend/rest-client.ts > src/gateway/backend/rest-client.node-http.ts
//   npx tsx bench/backend-hop.ts src/gateway/backend/rest-client.ts src/gateway/backend/rest-client.node-http.ts
// The backend is a plain node:http server in a child process (its CPU is not counted) answering the
// routed call the exec phase makes (GET /api/v1/user/profile) with a profile-sized JSON body. Each
// call is made as the backend stage makes it: the four x-galaxy-* headers, the backend token, a
// per-call AbortSignal and the remaining deadline; 64 at a time, as in `npm run bench`.
import { spawn } from "node:child_process";
import path from "node:path";
import { pathToFileURL } from "node:url";
import type { BackendRestClient } from "../src/gateway/backend/rest-client.js";
import { quantile } from "./stats.js";

type Factory = (baseUrl: () => string, options?: { timeoutMs?: number; token?: () => string | undefined }) => BackendRestClient & { close(): void };

const CONCURRENCY = 64;
const CALLS_PER_RUN = Number(process.env.HOP_CALLS ?? 4_000);
const ROUNDS = Number(process.env.HOP_ROUNDS ?? 10);
const WARMUP_CALLS = 4_000;

const SERVER = `
import http from "node:http";
const body = Buffer.from(JSON.stringify({ user_id: "u_0123456789abcdef", email: "pilot-0001@example.com", display_name: "Pilot 0001", created_at_ms: 1700000000000, settings: { locale: "en", theme: "dark" } }));
const server = http.createServer((req, res) => {
  req.resume();
  req.on("end", () => { res.writeHead(200, { "content-type": "application/json", "content-length": body.length }); res.end(body); });
});
server.listen(0, "127.0.0.1", () => process.stdout.write(String(server.address().port) + "\\n"));
process.stdin.on("end", () => process.exit(0)).resume();
`;

async function startServer(): Promise<{ url: string; stop(): void }> {
  const child = spawn(process.execPath, ["--input-type=module", "-e", SERVER], { stdio: ["pipe", "pipe", "inherit"] });
  const port = await new Promise<string>((resolve, reject) => {
    child.once("error", reject);
    child.stdout.once("data", (d: Buffer) => resolve(d.toString().trim()));
  });
  return { url: `http://127.0.0.1:${port}`, stop: () => child.stdin.end() };
}

async function drive(client: BackendRestClient, calls: number): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < calls) {
      next++;
      const controller = new AbortController();
      const reply = await client.request("GET", "/api/v1/user/profile", {
        query: "",
        headers: {
          "x-galaxy-user-id": "u_0123456789abcdef",
          "x-galaxy-device-session-id": "ds_0123456789abcdef0123456789abcdef",
          "x-galaxy-request-id": `req-${next}`,
          "x-galaxy-message-type": "user.profile.get",
        },
        signal: controller.signal,
        deadlineMs: 4_000,
      });
      if (reply.status !== 200 || reply.body.length === 0) throw new Error(`unexpected answer ${reply.status}`);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
}

/** µs of this process's CPU (user + system) per call, and calls per second of wall time. */
async function measure(client: BackendRestClient, calls: number): Promise<{ us: number; rps: number }> {
  (globalThis as { gc?: () => void }).gc?.();
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  await drive(client, calls);
  const wall = performance.now() - t0;
  const used = process.cpuUsage(cpu);
  return { us: (used.user + used.system) / calls, rps: (calls / wall) * 1000 };
}

async function main(): Promise<void> {
  const files = process.argv.slice(2).length > 0 ? process.argv.slice(2) : ["src/gateway/backend/rest-client.ts"];
  const server = await startServer();
  const variants = await Promise.all(
    files.map(async (file) => {
      const mod = (await import(pathToFileURL(path.resolve(file)).href)) as { createBackendRestClient: Factory };
      return { file, client: mod.createBackendRestClient(() => server.url, { token: () => "bench-backend-token" }), us: [] as number[], rps: [] as number[] };
    }),
  );
  try {
    for (const v of variants) await drive(v.client, WARMUP_CALLS);
    for (let round = 0; round < ROUNDS; round++) {
      // Alternate the order every round so neither variant always runs right after the other's garbage.
      const order = round % 2 === 0 ? variants : [...variants].reverse();
      const line: string[] = [];
      for (const v of order) {
        const m = await measure(v.client, CALLS_PER_RUN);
        v.us.push(m.us);
        v.rps.push(m.rps);
        line.push(`${path.basename(v.file)} ${m.us.toFixed(1)} µs`);
      }
      process.stderr.write(`round ${round + 1}: ${line.join(", ")}\n`);
    }
  } finally {
    for (const v of variants) v.client.close();
    server.stop();
  }
  for (const v of variants) {
    const sorted = [...v.us].sort((a, b) => a - b);
    process.stdout.write(
      `${v.file}: CPU per call median ${quantile(sorted, 0.5).toFixed(1)} µs (min ${sorted[0]!.toFixed(1)}, max ${sorted.at(-1)!.toFixed(1)}; ` +
        `${ROUNDS} runs of ${CALLS_PER_RUN} calls, ${CONCURRENCY} concurrent); median ${Math.round(quantile(v.rps, 0.5))} calls/s\n`,
    );
  }
}

await main();
