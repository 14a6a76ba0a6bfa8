// Cluster mode (--redis) against a real redis-server: two gateways in front of one mock backend share
// the replay store, the §4 budgets and the remembered revocations; push fan-out needs no Redis; Redis
// gone → UNAVAILABLE (never a pass), Redis back → calls pass again; every per-call key has a TTL.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ConnectError } from "@connectrpc/connect";
import { toBase64Url } from "../../src/shared/bytes.js";
import { publicKeyFromSeed } from "../../src/shared/ed25519.js";
import { GatewayErrorSchema } from "../../src/shared/gen/galaxy/gateway/v1/gateway_pb.js";
import { executeCommandRequest } from "../../src/shared/sdk.js";
import { startHttpServer, type FakeBackend } from "../hardening/support.js";
import { eventually, outcome, profileGet, startCluster, type Cluster } from "../support/cluster.js";
import { edgeClient, getJson, postJson, signIn, subscribe, type SignedInDevice } from "../support/emulator.js";
import { startRedis, type TestRedis } from "../support/redis.js";

let redis: TestRedis;
let cluster: Cluster;

beforeAll(async () => {
  redis = await startRedis();
  // A per-session budget small enough to spend in a test: 4 calls, refilling one a day.
  cluster = await startCluster(redis.url, { config: { rate_limits: { per_session: { rate_per_s: 1 / 86_400, burst: 4 } } } });
});
afterAll(async () => {
  await cluster?.close();
  await redis?.stop();
});

describe("cluster mode: one replay store, one set of budgets, one revocation memory", () => {
  it("refuses on instance B a request instance A accepted (replayed_request)", async () => {
    const alice = await signIn(cluster.a.url);
    const request = profileGet(alice);
    expect(await outcome(cluster.a.url, request)).toBe("ok");
    expect(await outcome(cluster.b.url, request)).toBe("replayed_request");
    expect(await outcome(cluster.a.url, request)).toBe("replayed_request");
  });

  it("spends one budget across instances: a burst spread over A and B gets 4 calls, not 4 each", async () => {
    const bob = await signIn(cluster.b.url);
    const results: string[] = [];
    for (let i = 0; i < 8; i++) results.push(await outcome(i % 2 === 0 ? cluster.a.url : cluster.b.url, profileGet(bob)));
    expect(results).toEqual(["ok", "ok", "ok", "ok", "rate_limited", "rate_limited", "rate_limited", "rate_limited"]);
  });

  it("honours on one instance a revocation another instance learned, though its backend still says active", async () => {
    const carol = await signIn(cluster.a.url);
    // A third instance whose backend lags: it still answers "active" for carol's session.
    const stale = await startStaleBackend(carol);
    try {
      const c = await cluster.join({ config: { backend: stale.url }, backendToken: undefined });
      expect(await outcome(c.url, profileGet(carol))).toBe("ok");
      // Carol signs herself out through A: the mock pushes the invalidation to A (and B), not to C.
      const revoke = executeCommandRequest(carol, { messageType: "user.sessions.revoke", payload: { device_session_id: carol.deviceSessionId } });
      expect(await outcome(cluster.a.url, revoke)).toBe("ok");
      await eventually(async () => (await redis.inspect.exists(`galaxy:revoked:session:${carol.deviceSessionId}`)) === 1, "the revocation in Redis");
      expect(await outcome(c.url, profileGet(carol))).toBe("session_revoked");
    } finally {
      await stale.close();
    }
  });

  it("delivers a push and an invalidation to streams on both instances (each subscribes to the backend)", async () => {
    const dave = await signIn(cluster.a.url);
    const onA = subscribe(cluster.a.url, dave);
    const onB = subscribe(cluster.b.url, dave);
    expect((await onA.next()).envelope?.eventType).toBe("gateway.server_time");
    expect((await onB.next()).envelope?.eventType).toBe("gateway.server_time");
    const pushed = await postJson(`${cluster.a.url}/emulator/v1/push`, {
      client_event: { user_id: dave.userId, event_type: "game.battle.report", payload: { won: true } },
    });
    expect(pushed.status).toBe(200);
    expect((await onA.next()).envelope).toMatchObject({ eventType: "game.battle.report", eventId: pushed.json.event_id });
    expect((await onB.next()).envelope).toMatchObject({ eventType: "game.battle.report", eventId: pushed.json.event_id });
    const revoke = executeCommandRequest(dave, { messageType: "user.sessions.revoke", payload: { device_session_id: dave.deviceSessionId } });
    await edgeClient(cluster.b.url).executeCommand(revoke);
    for (const stream of [onA, onB]) {
      const ended = await stream.ended();
      expect(ended.findDetails(GatewayErrorSchema)[0]?.reason).toBe("session_revoked");
    }
  });

  it("gives every key a call writes a TTL, so Redis memory is bounded", async () => {
    const erin = await signIn(cluster.b.url);
    expect(await outcome(cluster.a.url, profileGet(erin))).toBe("ok");
    const keys = await redis.inspect.keys("galaxy:*");
    // Replay reservations, §4 buckets, public buckets, a remembered revocation (from the tests above).
    for (const prefix of ["galaxy:replay:reservations", "galaxy:rl:rpc:", "galaxy:rl:public-ip:", "galaxy:rl:public-email:", "galaxy:revoked:session:"]) {
      expect(keys.some((k) => k.startsWith(prefix))).toBe(true);
    }
    // The one constant-size key kept without TTL: the replay horizon (two numbers, see replay-guard.ts).
    const perCall = keys.filter((k) => k !== "galaxy:replay:horizon");
    const ttls = await Promise.all(perCall.map(async (k) => [k, await redis.inspect.pttl(k)] as const));
    expect(ttls.filter(([, ttl]) => ttl <= 0)).toEqual([]);
  });
});

describe("cluster mode fails closed", () => {
  it("answers UNAVAILABLE while Redis is gone (never an accepted replay), and passes calls again once it is back", async () => {
    const frank = await signIn(cluster.a.url);
    const accepted = profileGet(frank);
    expect(await outcome(cluster.a.url, accepted)).toBe("ok");

    await redis.kill();
    // A holds frank's session in its cache: the replay stage is the first to need Redis.
    expect(await outcome(cluster.a.url, accepted)).toBe("replay_store_unavailable");
    expect(await outcome(cluster.a.url, profileGet(frank))).toBe("replay_store_unavailable");
    expect(reasonOfError(await subscribe(cluster.a.url, frank).ended())).toBe("replay_store_unavailable");
    // B looks the session up first, and cannot ask the shared revocation memory about it.
    expect(await outcome(cluster.b.url, accepted)).toBe("session_store_unavailable");
    const publicCall = await postJson(`${cluster.a.url}/api/v1/public/auth/send-email-code`, { email: "x@example.com" });
    expect(publicCall.status).toBe(503);
    expect(publicCall.json.error.code).toBe("rate_limit_store_unavailable");
    // Said as a client can read it, not in the Redis client library's words.
    expect(publicCall.json.error.message).toBe("the shared rate-limit store did not answer: Redis unavailable (not connected); retry shortly");
    expect((await getJson(`${cluster.a.url}/healthz`)).json).toMatchObject({ status: "redis_unavailable" });
    // A control-plane change cannot reach the other instance: said so (it holds on A only).
    const patched = await fetch(`${cluster.a.url}/emulator/v1/config`, {
      method: "PATCH",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ freshness_window_ms: 60_000 }),
    });
    expect(patched.status).toBe(503);
    expect((await patched.json()).error.code).toBe("cluster_unavailable");

    // Back, but empty (no persistence): the gateways reconnect by themselves, and each sets the replay
    // horizon at its clock as it does (Redis forgot every reservation).
    const signedDuringOutage = profileGet(frank);
    await redis.restart();
    for (const gateway of [cluster.a, cluster.b]) {
      await eventually(async () => (await getJson(`${gateway.url}/healthz`)).status === 200, "the gateway reconnected to Redis");
    }
    const back = Date.now();
    // Nothing signed before Redis came back passes: not the request accepted before the outage, not one
    // signed during it.
    expect(await outcome(cluster.b.url, accepted)).toBe("stale_request");
    expect(await outcome(cluster.a.url, signedDuringOutage)).toBe("stale_request");
    // Signed once the clock has passed the moment both were healthy again: passes on either instance.
    await eventually(() => Date.now() > back, "the clock to pass the new replay horizon");
    expect(await outcome(cluster.b.url, profileGet(frank))).toBe("ok");
    expect(await outcome(cluster.a.url, profileGet(frank))).toBe("ok");
  });
});

function reasonOfError(err: ConnectError): string | undefined {
  return err.findDetails(GatewayErrorSchema)[0]?.reason;
}

/** A backend that answers "active" for `device`'s session whatever happened to it, and 200 to user calls. */
function startStaleBackend(device: SignedInDevice): Promise<FakeBackend> {
  const session = {
    device_session_id: device.deviceSessionId,
    user_id: device.userId,
    client_public_key: toBase64Url(publicKeyFromSeed(device.seed)),
    status: "active",
    created_at_ms: 1,
  };
  return startHttpServer((req, res) => {
    req.resume();
    const url = req.url ?? "";
    const reply = (body: unknown) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    if (url === `/api/v1/internal/sessions/${device.deviceSessionId}`) return reply(session);
    if (url.startsWith("/api/v1/user/")) return reply({ user_id: device.userId });
    res.writeHead(404);
    res.end();
  });
}
