// Cluster mode's control plane across a Redis outage and restart: a change that cannot reach the
// cluster changes nothing (503, nothing applied on the instance that took it); after Redis restarts
// empty, changes reach every instance again (the control epoch); a state import reaches every instance.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toBase64Url } from "../../src/shared/bytes.js";
import type { RunningEmulator } from "../../src/emulator/start.js";
import { configOf, eventually, outcome, profileGet, startCluster, type Cluster } from "../support/cluster.js";
import { gatewayPublicKey, getJson, patchConfig, signIn, startTestEmulator } from "../support/emulator.js";
import { startRedis, type TestRedis } from "../support/redis.js";
import { signedCall } from "../support/signed-call.js";

let redis: TestRedis;
let cluster: Cluster;

beforeAll(async () => {
  redis = await startRedis();
  cluster = await startCluster(redis.url);
});
afterAll(async () => {
  await cluster?.close();
  await redis?.stop();
});

async function send(url: string, method: string, body?: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(url, {
    method,
    ...(body === undefined ? {} : { headers: { "content-type": "application/json" }, body: JSON.stringify(body) }),
  });
  return { status: res.status, json: await res.json() };
}

function expectNothingChanged(answer: { status: number; json: any }): void {
  expect(answer.status).toBe(503);
  expect(answer.json.error.code).toBe("cluster_unavailable");
  expect(answer.json.error.message).toMatch(/^nothing was changed: the cluster \(Redis\) could not be told \(Redis unavailable/);
}

async function bothHealthy(): Promise<void> {
  for (const gateway of [cluster.a, cluster.b]) {
    await eventually(async () => (await getJson(`${gateway.url}/healthz`)).status === 200, "the gateway reconnected to Redis");
  }
}

describe("a control change that cannot reach the cluster changes nothing", () => {
  it("refuses config, faults, reset and key rotation while Redis is down, leaving the instance as it was", async () => {
    await patchConfig(cluster.a.url, { freshness_window_ms: 40_000 });
    await eventually(async () => (await configOf(cluster.b.url)).freshness_window_ms === 40_000, "B to apply the PATCH");
    const fault = { target: "backend", status: 500, message_type: "user.profile.get", id: "held" };
    expect((await send(`${cluster.a.url}/emulator/v1/faults`, "POST", fault)).status).toBe(200);
    const pilot = await signIn(cluster.a.url);
    await outcome(cluster.a.url, profileGet(pilot));
    const journal = (await getJson(`${cluster.a.url}/emulator/v1/journal`)).json.entries.length;
    const key = await gatewayPublicKey(cluster.a.url);

    await redis.kill();
    expectNothingChanged(await send(`${cluster.a.url}/emulator/v1/config`, "PATCH", { freshness_window_ms: 41_000 }));
    expect((await configOf(cluster.a.url)).freshness_window_ms).toBe(40_000);
    expectNothingChanged(await send(`${cluster.a.url}/emulator/v1/faults`, "POST", { ...fault, id: "new" }));
    expectNothingChanged(await send(`${cluster.a.url}/emulator/v1/faults/held`, "DELETE"));
    expectNothingChanged(await send(`${cluster.a.url}/emulator/v1/faults`, "DELETE"));
    expect((await getJson(`${cluster.a.url}/emulator/v1/faults`)).json.faults.map((f: any) => f.id)).toEqual(["held"]);
    expectNothingChanged(await send(`${cluster.a.url}/emulator/v1/reset`, "POST", {}));
    expect((await getJson(`${cluster.a.url}/emulator/v1/journal`)).json.entries.length).toBe(journal);
    expectNothingChanged(await send(`${cluster.a.url}/emulator/v1/gateway-key/rotate`, "POST", {}));
    expect(await gatewayPublicKey(cluster.a.url)).toEqual(key);

    await redis.restart();
    await bothHealthy();
    expect((await send(`${cluster.a.url}/emulator/v1/faults`, "DELETE")).status).toBe(200);
  });

  it("reaches every instance again after Redis restarted empty (its versions started over)", async () => {
    await patchConfig(cluster.a.url, { freshness_window_ms: 45_000 });
    await eventually(async () => (await configOf(cluster.b.url)).freshness_window_ms === 45_000, "B to apply the PATCH");
    await redis.kill();
    await redis.restart();
    await bothHealthy();
    await patchConfig(cluster.a.url, { freshness_window_ms: 46_000 });
    await eventually(async () => (await configOf(cluster.b.url)).freshness_window_ms === 46_000, "B to apply the PATCH after the restart");
    await patchConfig(cluster.b.url, { freshness_window_ms: 47_000 });
    await eventually(async () => (await configOf(cluster.a.url)).freshness_window_ms === 47_000, "A to apply B's PATCH after the restart");
  });
});

describe("PUT /emulator/v1/state in cluster mode", () => {
  let source: RunningEmulator;
  afterAll(async () => {
    await source?.close();
  });

  it("changes every instance: B signs with the imported key, serves the document's sessions, forgets its cached ones", async () => {
    source = await startTestEmulator();
    await patchConfig(source.url, { freshness_window_ms: 51_000 });
    const seeded = await signIn(source.url);
    const sourceKey = await gatewayPublicKey(source.url);
    const document = (await getJson(`${source.url}/emulator/v1/state`)).json;
    // A session B holds in its cache, which the imported state does not have.
    const gone = await signIn(cluster.a.url);
    expect(await outcome(cluster.b.url, profileGet(gone))).toBe("ok");

    const put = await send(`${cluster.a.url}/emulator/v1/state`, "PUT", document);
    expect(put).toEqual({ status: 200, json: {} });
    await eventually(async () => toBase64Url(await gatewayPublicKey(cluster.b.url)) === toBase64Url(sourceKey), "B to load the imported key");
    expect(await signedCall(cluster.b.url, seeded, sourceKey)).toEqual({ resultCode: "ok", verification: { ok: true } });
    expect((await configOf(cluster.b.url)).freshness_window_ms).toBe(51_000);
    expect(await outcome(cluster.b.url, profileGet(gone))).not.toBe("ok");
  });
});
