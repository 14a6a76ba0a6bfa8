// Cluster mode's control plane acts on the whole cluster: a config PATCH, a reset and a key rotation
// made on one instance are seen on the other, and an instance that joins later catches up on the
// config. The Redis URL is shown by GET config and refused by PATCH.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { configOf, eventually, outcome, profileGet, startCluster, type Cluster } from "../support/cluster.js";
import { gatewayPublicKey, getJson, patchConfig, postJson, signIn } from "../support/emulator.js";
import { startRedis, type TestRedis } from "../support/redis.js";

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

describe("cluster-wide control plane", () => {
  it("shows the Redis URL in GET config and refuses to PATCH it", async () => {
    expect((await configOf(cluster.a.url)).redis).toBe(redis.url);
    const res = await fetch(`${cluster.a.url}/emulator/v1/config`, {
      method: "PATCH",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ redis: "redis://127.0.0.1:1" }),
    });
    expect(res.status).toBe(400);
    expect((await res.json()).error.message).toMatch(/^redis: fixed for the gateway's life \(the --redis flag\)/);
  });

  it("applies a config PATCH made on A on B, and on an instance that joins later", async () => {
    await patchConfig(cluster.a.url, { freshness_window_ms: 42_000, routes: { "user.profile.get": null } });
    await eventually(async () => (await configOf(cluster.b.url)).freshness_window_ms === 42_000, "B to apply A's PATCH");
    const onB = await configOf(cluster.b.url);
    expect(onB.routes["user.profile.get"]).toBeUndefined();
    expect((await getJson(`${cluster.b.url}/api/v1/public/gateway/info`)).json.freshness_window_ms).toBe(42_000);
    const late = await cluster.join();
    const onLate = await configOf(late.url);
    expect(onLate.freshness_window_ms).toBe(42_000);
    expect(onLate.routes["user.profile.get"]).toBeUndefined();
    // Put the route back for the tests below, through the late joiner this time.
    await patchConfig(late.url, { routes: { "user.profile.get": { method: "GET", path: "profile" } } });
    await eventually(async () => (await configOf(cluster.a.url)).routes["user.profile.get"] !== undefined, "A to apply the late joiner's PATCH");
  });

  it("converges on one config when A and B are patched at the same time", async () => {
    await Promise.all([patchConfig(cluster.a.url, { freshness_window_ms: 31_000 }), patchConfig(cluster.b.url, { freshness_window_ms: 32_000 })]);
    // Whichever came last in Redis's order wins on both (never each keeping the other's).
    await eventually(async () => {
      const [onA, onB] = await Promise.all([configOf(cluster.a.url), configOf(cluster.b.url)]);
      return onA.freshness_window_ms === onB.freshness_window_ms;
    }, "A and B to agree");
    expect([31_000, 32_000]).toContain((await configOf(cluster.a.url)).freshness_window_ms);
  });

  it("resets the shared budgets through any instance", async () => {
    // Per client IP (every call here comes from 127.0.0.1): the one budget that outlives the mock's reset.
    await patchConfig(cluster.a.url, { rate_limits: { per_ip: { rate_per_s: 1 / 86_400, burst: 1 } } });
    await eventually(async () => (await configOf(cluster.b.url)).rate_limits.per_ip.burst === 1, "B to apply the budget");
    const pilot = await signIn(cluster.a.url);
    expect(await outcome(cluster.a.url, profileGet(pilot))).toBe("ok");
    expect(await outcome(cluster.b.url, profileGet(pilot))).toBe("rate_limited");
    expect((await postJson(`${cluster.b.url}/emulator/v1/reset`, {})).status).toBe(200);
    const again = await signIn(cluster.b.url);
    expect(await outcome(cluster.a.url, profileGet(again))).toBe("ok");
    await patchConfig(cluster.a.url, { rate_limits: { per_ip: { rate_per_s: 200, burst: 400 } } });
    await eventually(async () => (await configOf(cluster.b.url)).rate_limits.per_ip.burst === 400, "B to apply the budget");
  });

  it("names the instance in each journal entry, so instances' journals can be merged", async () => {
    const pilot = await signIn(cluster.a.url);
    await outcome(cluster.a.url, profileGet(pilot));
    await outcome(cluster.b.url, profileGet(pilot));
    const onA = (await getJson(`${cluster.a.url}/emulator/v1/journal`)).json.entries;
    const onB = (await getJson(`${cluster.b.url}/emulator/v1/journal`)).json.entries;
    expect(onA.at(-1).instance).toBe(cluster.a.instanceId);
    expect(onB.at(-1).instance).toBe(cluster.b.instanceId);
    expect(cluster.a.instanceId).not.toBe(cluster.b.instanceId);
  });

  it("shows every instance's calls in the cluster journal (scope=cluster), read through either instance", async () => {
    const pilot = await signIn(cluster.a.url);
    const onA = profileGet(pilot);
    const onB = profileGet(pilot);
    expect(await outcome(cluster.a.url, onA)).toBe("ok");
    expect(await outcome(cluster.b.url, onB)).toBe("ok");
    type Entry = { request_id: string; instance: string; seq: number };
    const clusterView = async (url: string) => (await getJson(`${url}/emulator/v1/journal?scope=cluster`)).json.entries as Entry[];
    const mine = (entries: Entry[]) => entries.filter((e) => e.request_id === onA.envelope!.requestId || e.request_id === onB.envelope!.requestId);
    await eventually(async () => mine(await clusterView(cluster.b.url)).length === 2, "both calls in the cluster journal");
    const entries = mine(await clusterView(cluster.b.url));
    expect(entries.map((e) => [e.request_id, e.instance])).toEqual([
      [onA.envelope!.requestId, cluster.a.instanceId],
      [onB.envelope!.requestId, cluster.b.instanceId],
    ]);
    // `after` pages through the cluster-wide numbering, as through an instance's own.
    const later = (await getJson(`${cluster.a.url}/emulator/v1/journal?scope=cluster&after=${entries[0]!.seq}`)).json.entries;
    expect(later[0].request_id).toBe(onB.envelope!.requestId);
    expect((await getJson(`${cluster.a.url}/emulator/v1/journal?scope=everywhere`)).status).toBe(400);
  });

  it("clears B's journal when A is reset", async () => {
    const pilot = await signIn(cluster.b.url);
    await outcome(cluster.b.url, profileGet(pilot));
    expect((await getJson(`${cluster.b.url}/emulator/v1/journal`)).json.entries.length).toBeGreaterThan(0);
    expect((await postJson(`${cluster.a.url}/emulator/v1/reset`, {})).status).toBe(200);
    await eventually(async () => (await getJson(`${cluster.b.url}/emulator/v1/journal`)).json.entries.length === 0, "B's journal to be cleared");
    expect((await getJson(`${cluster.b.url}/emulator/v1/journal?scope=cluster`)).json.entries).toEqual([]);
  });

  it("spreads a fault added on A to B, an outage too (it takes no seed, though its view shows one)", async () => {
    const added = await postJson(`${cluster.a.url}/emulator/v1/faults`, [{ target: "backend", outage: true, id: "down" }, { target: "backend", status: 500, id: "err" }]);
    expect(added.json).toEqual({ ids: ["down", "err"] });
    const idsOn = async (url: string) => (await getJson(`${url}/emulator/v1/faults`)).json.faults.map((f: { id: string }) => f.id);
    await eventually(async () => (await idsOn(cluster.b.url)).join() === "down,err", "B to hold A's faults");
    expect((await fetch(`${cluster.b.url}/emulator/v1/faults`, { method: "DELETE" })).status).toBe(200);
    await eventually(async () => (await idsOn(cluster.a.url)).length === 0, "A to drop the faults B removed");
  });

  it("rotates the shared key on every instance", async () => {
    const before = await gatewayPublicKey(cluster.b.url);
    const rotated = await postJson(`${cluster.a.url}/emulator/v1/gateway-key/rotate`, {});
    expect(rotated.status).toBe(200);
    expect(rotated.json.response_signing_public_key).not.toBe(Buffer.from(before).toString("base64url"));
    await eventually(
      async () => Buffer.from(await gatewayPublicKey(cluster.b.url)).toString("base64url") === rotated.json.response_signing_public_key,
      "B to load the rotated key",
    );
  });
});
