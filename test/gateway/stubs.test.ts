// Stub mappings (README "Your own game") end to end: mappings POSTed through the gateway's control
// plane, served by the mock backend over HTTP, commands signed by a client and answered through the
// gateway, every answer verified with the gateway key, pushes read from a real SubscribeEvents stream.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fromUtf8 } from "../../src/shared/bytes.js";
import { executeCommandRequest, verifyEvent, verifyResponse } from "../../src/shared/sdk.js";
import type { JournalEntry } from "../../src/shared/protocol.js";
import type { RunningEmulator } from "../../src/emulator/start.js";
import { startEmulator } from "../../src/emulator/start.js";
import { startGateway } from "../../src/gateway/gateway.js";
import { startTestBackend, TEST_BACKEND_TOKEN } from "../backend/helpers.js";
import {
  edgeClient,
  gatewayPublicKey,
  getJson,
  patchConfig,
  postJson,
  signIn,
  startTestEmulator,
  subscribe,
  tempDir,
  type SignedInDevice,
} from "../support/emulator.js";

let emulator: RunningEmulator;
let gatewayKey: Uint8Array;
let alice: SignedInDevice;
let alice2: SignedInDevice; // a second device session of Alice
let bob: SignedInDevice;

beforeAll(async () => {
  emulator = await startTestEmulator();
  gatewayKey = await gatewayPublicKey(emulator.url);
  alice = await signIn(emulator.url, "alice@example.com");
  alice2 = await signIn(emulator.url, "alice@example.com");
  bob = await signIn(emulator.url, "bob@example.com");
});
afterAll(() => emulator.close());

const stubsUrl = () => `${emulator.url}/emulator/v1/stubs`;

async function addStubs(body: unknown): Promise<string[]> {
  const res = await postJson(stubsUrl(), body);
  if (res.status !== 200) throw new Error(`POST stubs: ${res.status} ${JSON.stringify(res.json)}`);
  return res.json.ids;
}

/** Setup between groups (its own answer is checked by the tests that list the stubs). */
async function deleteAll(): Promise<void> {
  await (await fetch(stubsUrl(), { method: "DELETE" })).body?.cancel();
}

/** A signed command through the gateway; the answer must verify with the gateway key. */
async function send(device: SignedInDevice, messageType: string, payload?: unknown) {
  const req = executeCommandRequest(device, { messageType, payload });
  const requestId = req.envelope!.requestId;
  const res = await edgeClient(emulator.url).executeCommand(req);
  expect(verifyResponse(res, gatewayKey, { deviceSessionId: device.deviceSessionId, requestId })).toEqual({ ok: true });
  const text = fromUtf8(res.payloadBytes);
  return { resultCode: res.envelope!.resultCode, body: text ? JSON.parse(text) : undefined, requestId };
}

async function journalEntry(requestId: string): Promise<JournalEntry> {
  const { json } = await getJson(`${emulator.url}/emulator/v1/journal?after=0`);
  const entry = (json.entries as JournalEntry[]).findLast((e) => e.request_id === requestId);
  if (!entry) throw new Error(`no journal entry for ${requestId}`);
  return entry;
}

/** The next pushed events (not gateway.server_time) of a stream, each verified. */
async function nextEvents(stream: ReturnType<typeof subscribe>, n: number): Promise<{ type: string; payload: any; at: number }[]> {
  const out: { type: string; payload: any; at: number }[] = [];
  while (out.length < n) {
    const event = await stream.next();
    expect(verifyEvent(event, gatewayKey)).toEqual({ ok: true });
    if (event.envelope!.eventType === "gateway.server_time") continue;
    out.push({ type: event.envelope!.eventType, payload: JSON.parse(fromUtf8(event.payloadBytes)), at: Date.now() });
  }
  return out;
}

const SHOP_BUY = {
  id: "shop-buy-laser",
  message_type: "game.shop.buy",
  match: { payload: { item: "laser", qty: { regex: "^[1-9]$" } } },
  respond: {
    payload: {
      item: "{{payload.item}}",
      qty: "{{payload.qty}}",
      order_id: "{{uuid}}",
      at_ms: "{{now_ms}}",
      who: "{{user_id}} {{email}} {{device_session_id}}",
      request: "{{request_id}}",
      n: "{{counter}}",
      missing: "{{payload.nope}}",
      text: "x{{payload.qty}}y",
    },
  },
};

describe("a brand-new message type answered by a stub", () => {
  beforeAll(deleteAll);

  it("routes a type the routing table does not have, and renders every template", async () => {
    expect((await send(alice, "game.shop.buy", { item: "laser", qty: 2 }).catch((e: Error) => e.message)) as string).toMatch(/unknown_message_type/);
    expect(await addStubs(SHOP_BUY)).toEqual(["shop-buy-laser"]);
    const before = Date.now();
    const first = await send(alice, "game.shop.buy", { item: "laser", qty: 2 });
    expect(first.resultCode).toBe("ok");
    expect(first.body).toMatchObject({
      item: "laser",
      qty: 2, // the JSON type is kept by a string that is exactly one template
      who: `${alice.userId} alice@example.com ${alice.deviceSessionId}`,
      request: first.requestId,
      n: 1,
      missing: null,
      text: "x2y",
    });
    expect(first.body.order_id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(first.body.at_ms).toBeGreaterThanOrEqual(before);
    expect(first.body.at_ms).toBeLessThanOrEqual(Date.now());
    const second = await send(alice, "game.shop.buy", { item: "laser", qty: 3 });
    expect(second.body.n).toBe(2);
    expect(second.body.order_id).not.toBe(first.body.order_id);
    expect((await journalEntry(second.requestId)).stub).toEqual({ matched: true, id: "shop-buy-laser" });
    // The type is not written into the user's routes.
    const config = await getJson(`${emulator.url}/emulator/v1/config`);
    expect(Object.keys(config.json.routes)).not.toContain("game.shop.buy");
    // Each stub counts the calls it matched.
    expect((await getJson(`${stubsUrl()}/shop-buy-laser`)).json.matched_count).toBe(2);
  });

  it("answers stub_not_matched, signed, and the journal names the nearest mapping and the field that differed", async () => {
    const res = await send(alice, "game.shop.buy", { item: "phaser", qty: 2 });
    expect(res.resultCode).toBe("stub_not_matched");
    expect(res.body.error.code).toBe("stub_not_matched");
    expect(await journalEntry(res.requestId)).toMatchObject({
      result_code: "stub_not_matched",
      stub: { matched: false, nearest_id: "shop-buy-laser", differs_at: "payload.item" },
    });
    const regexMiss = await send(alice, "game.shop.buy", { item: "laser", qty: 12 });
    expect((await journalEntry(regexMiss.requestId)).stub).toEqual({ matched: false, nearest_id: "shop-buy-laser", differs_at: "payload.qty" });
  });

  it("forgets the type once its stubs are deleted", async () => {
    const del = await fetch(`${stubsUrl()}/shop-buy-laser`, { method: "DELETE" });
    expect(del.status).toBe(200);
    expect((await getJson(`${stubsUrl()}/shop-buy-laser`)).status).toBe(404);
    await expect(send(alice, "game.shop.buy", { item: "laser", qty: 2 })).rejects.toThrow(/unknown_message_type/);
  });
});

describe("matchers", () => {
  beforeAll(async () => {
    await deleteAll();
    await addStubs([
      { id: "subset", message_type: "game.match", priority: 10, match: { payload: { a: { b: 1 } } }, respond: { payload: { hit: "subset" } } },
      { id: "array", message_type: "game.match", priority: 1, match: { payload: { list: [1, { regex: "^x" }] } }, respond: { payload: { hit: "array" } } },
      { id: "absent", message_type: "game.match", priority: 2, match: { payload: { kind: "absent-test", secret: { absent: true } } }, respond: { payload: { hit: "absent" } } },
      { id: "email", message_type: "game.match", priority: 3, match: { payload: { kind: "who" }, email: "BOB@example.com" }, respond: { payload: { hit: "email" } } },
      { id: "user", message_type: "game.match", priority: 4, match: { payload: { kind: "who" }, user_id: alice.userId, device_session_id: { regex: `^${alice2.deviceSessionId}$` } }, respond: { payload: { hit: "user+device" } } },
    ]);
  });

  it("matches objects by subset", async () => {
    expect((await send(alice, "game.match", { a: { b: 1, extra: true }, more: 1 })).body.hit).toBe("subset");
    const miss = await send(alice, "game.match", { a: { b: 2 } });
    expect(miss.resultCode).toBe("stub_not_matched");
    expect((await journalEntry(miss.requestId)).stub).toEqual({ matched: false, nearest_id: "subset", differs_at: "payload.a.b" });
  });

  it("matches arrays element by element, same length, with regex elements", async () => {
    expect((await send(alice, "game.match", { list: [1, "xyz"] })).body.hit).toBe("array");
    expect((await send(alice, "game.match", { list: [1, "xyz", 3] })).resultCode).toBe("stub_not_matched");
    expect((await send(alice, "game.match", { list: [1, "abc"] })).resultCode).toBe("stub_not_matched");
  });

  it('matches {"absent": true} only when the key is missing', async () => {
    expect((await send(alice, "game.match", { kind: "absent-test" })).body.hit).toBe("absent");
    const miss = await send(alice, "game.match", { kind: "absent-test", secret: 1 });
    expect((await journalEntry(miss.requestId)).stub).toMatchObject({ matched: false, nearest_id: "absent", differs_at: "payload.secret" });
  });

  it("matches the caller's email (case-insensitively), user_id and device_session_id", async () => {
    expect((await send(bob, "game.match", { kind: "who" })).body.hit).toBe("email");
    expect((await send(alice2, "game.match", { kind: "who" })).body.hit).toBe("user+device");
    const miss = await send(alice, "game.match", { kind: "who" }); // Alice's other session
    expect((await journalEntry(miss.requestId)).stub).toMatchObject({ matched: false, differs_at: "device_session_id", nearest_id: "user" });
  });
});

describe("priority", () => {
  beforeAll(deleteAll);

  it("lowest priority wins, then the newest", async () => {
    await addStubs({ id: "p5-old", message_type: "game.prio", respond: { payload: { by: "p5-old" } } });
    expect((await send(alice, "game.prio", {})).body.by).toBe("p5-old");
    await addStubs({ id: "p5-new", message_type: "game.prio", respond: { payload: { by: "p5-new" } } });
    expect((await send(alice, "game.prio", {})).body.by).toBe("p5-new");
    await addStubs({ id: "p1", message_type: "game.prio", priority: 1, respond: { payload: { by: "p1" } } });
    await addStubs({ id: "p9-newest", message_type: "game.prio", priority: 9, respond: { payload: { by: "p9-newest" } } });
    expect((await send(alice, "game.prio", {})).body.by).toBe("p1");
  });
});

describe("scenarios", () => {
  beforeAll(deleteAll);

  it("start in Started, move on each match, and reset", async () => {
    await addStubs([
      { id: "buy", message_type: "game.door", match: { payload: { act: "open" } }, respond: { payload: { door: "opened" } }, scenario: { name: "door", required_state: "Started", new_state: "Open" } },
      { id: "again", message_type: "game.door", match: { payload: { act: "open" } }, respond: { payload: { door: "already open" } }, scenario: { name: "door", required_state: "Open" } },
      { id: "close", message_type: "game.door", match: { payload: { act: "close" } }, respond: { payload: { door: "closed" } }, scenario: { name: "door", required_state: "Open", new_state: "Started" } },
    ]);
    const scenarios = async () => (await getJson(`${emulator.url}/emulator/v1/scenarios`)).json.scenarios;
    expect(await scenarios()).toEqual([{ name: "door", state: "Started" }]);
    const closedMiss = await send(alice, "game.door", { act: "close" });
    expect((await journalEntry(closedMiss.requestId)).stub).toEqual({ matched: false, nearest_id: "close", differs_at: "scenario" });
    expect((await send(alice, "game.door", { act: "open" })).body.door).toBe("opened");
    expect(await scenarios()).toEqual([{ name: "door", state: "Open" }]);
    expect((await send(alice, "game.door", { act: "open" })).body.door).toBe("already open");
    expect((await send(alice, "game.door", { act: "close" })).body.door).toBe("closed");
    expect((await send(alice, "game.door", { act: "open" })).body.door).toBe("opened");
    const reset = await postJson(`${emulator.url}/emulator/v1/scenarios/reset`, {});
    expect(reset.status).toBe(200);
    expect(await scenarios()).toEqual([{ name: "door", state: "Started" }]);
    expect((await send(alice, "game.door", { act: "open" })).body.door).toBe("opened");
  });
});

describe("business errors and delays", () => {
  beforeAll(deleteAll);

  it("answers respond.result_code other than ok as a signed business error", async () => {
    await addStubs({ message_type: "game.shop.sell", respond: { result_code: "insufficient_funds", payload: { balance: 10, wanted: "{{payload.price}}" } } });
    const res = await send(alice, "game.shop.sell", { price: 99 });
    expect(res.resultCode).toBe("insufficient_funds");
    expect(res.body).toMatchObject({ balance: 10, wanted: 99, error: { code: "insufficient_funds" } });
  });

  it("delays the answer by respond.delay_ms (a lower bound)", async () => {
    await addStubs({ message_type: "game.slow", respond: { payload: {}, delay_ms: 250 } });
    const started = Date.now();
    expect((await send(alice, "game.slow", {})).resultCode).toBe("ok");
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
  });

  it("stubs a GET-routed type: its payload arrives as the query string, values as strings", async () => {
    await addStubs({ id: "profile", message_type: "user.profile.get", match: { payload: { view: "short" } }, respond: { payload: { name: "Stubbed {{payload.view}}" } } });
    expect((await send(alice, "user.profile.get", { view: "short" })).body).toEqual({ name: "Stubbed short" });
    expect((await send(alice, "user.profile.get", {})).body.user_id).toBe(alice.userId); // the built-in route
  });

  it("stubs a built-in type: a match answers, a miss falls through to the built-in route", async () => {
    await addStubs({ id: "fleet-7", message_type: "game.fleet.dispatch", match: { payload: { ships: 7 } }, respond: { payload: { stubbed: true } } });
    expect((await send(bob, "game.fleet.dispatch", { from_planet: "earth", to_planet: "mars", ships: 7 })).body).toEqual({ stubbed: true });
    const builtIn = await send(bob, "game.fleet.dispatch", { from_planet: "earth", to_planet: "mars", ships: 3 });
    expect(builtIn.resultCode).toBe("ok");
    expect(builtIn.body.ships).toBe(3);
    expect((await journalEntry(builtIn.requestId)).stub).toEqual({ matched: false, nearest_id: "fleet-7", differs_at: "payload.ships" });
  });
});

describe("pushes", () => {
  beforeAll(deleteAll);

  it("sends to the caller's session only, with {{response.payload.x}}, after its delay", async () => {
    await addStubs({
      message_type: "game.push.caller",
      respond: { payload: { order_id: "{{uuid}}" } },
      push: [{ event_type: "game.shop.delivered", payload: { order: "{{response.payload.order_id}}", qty: "{{payload.qty}}" }, delay_ms: 300, to: "caller" }],
    });
    const mine = subscribe(emulator.url, alice);
    const other = subscribe(emulator.url, alice2);
    await mine.next(); // server_time: the stream is registered
    await other.next();
    const sent = Date.now();
    const res = await send(alice, "game.push.caller", { qty: 4 });
    const [event] = await nextEvents(mine, 1);
    expect(event!.type).toBe("game.shop.delivered");
    expect(event!.payload).toEqual({ order: res.body.order_id, qty: 4 });
    expect(event!.at - sent).toBeGreaterThanOrEqual(300);
    // Alice's other session got nothing: a marker pushed to the whole user arrives there first.
    await postJson(`${emulator.url}/emulator/v1/push`, { client_event: { user_id: alice.userId, event_type: "marker", payload: {} } });
    expect((await nextEvents(other, 1))[0]!.type).toBe("marker");
    mine.cancel();
    other.cancel();
  });

  it('sends to every session of the user ("user"), to a named user, and to all', async () => {
    await addStubs([
      { message_type: "game.push.user", push: [{ event_type: "to.user", payload: { n: "{{counter}}" }, to: "user" }] },
      { message_type: "game.push.named", push: [{ event_type: "to.named", payload: { from: "{{user_id}}" }, to: { user_id: "{{payload.to}}" } }] },
      { message_type: "game.push.all", push: [{ event_type: "to.all", payload: {}, to: "all" }] },
    ]);
    const streams = [alice, alice2, bob].map((d) => subscribe(emulator.url, d));
    for (const s of streams) await s.next(); // server_time
    const [a1, a2, b] = streams as [ReturnType<typeof subscribe>, ReturnType<typeof subscribe>, ReturnType<typeof subscribe>];
    await send(alice, "game.push.user", {});
    expect((await nextEvents(a1, 1))[0]!.type).toBe("to.user");
    expect((await nextEvents(a2, 1))[0]!.type).toBe("to.user");
    await send(alice, "game.push.named", { to: bob.userId });
    expect((await nextEvents(b, 1))[0]).toMatchObject({ type: "to.named", payload: { from: alice.userId } });
    expect((await send(alice, "game.push.named", {})).resultCode).toBe("stub_push_target_invalid"); // no "to" in the payload
    await send(bob, "game.push.all", {});
    for (const s of streams) expect((await nextEvents(s, 1))[0]!.type).toBe("to.all");
    for (const s of streams) s.cancel();
  });

  it("keeps the order per recipient: a push never overtakes one queued before it", async () => {
    await addStubs({
      message_type: "game.push.order",
      push: [
        { event_type: "first", payload: {}, delay_ms: 200, to: "caller" },
        { event_type: "second", payload: {}, delay_ms: 0, to: "caller" },
      ],
    });
    const stream = subscribe(emulator.url, bob);
    await stream.next();
    const sent = Date.now();
    await send(bob, "game.push.order", {});
    const events = await nextEvents(stream, 2);
    expect(events.map((e) => e.type)).toEqual(["first", "second"]);
    expect(events[0]!.at - sent).toBeGreaterThanOrEqual(200);
    stream.cancel();
  });
});

describe("bad mappings", () => {
  beforeAll(deleteAll);

  it.each([
    [{ message_type: "x", colour: "red" }, "$.colour"],
    [{ message_type: "x", match: { payload: { qty: { regex: "([" } } } }, "$.match.payload.qty.regex"],
    [{ message_type: "x", respond: { payload: { a: ["{{payload.a"] } } }, "$.respond.payload.a[0]"],
    [{ message_type: "x", respond: { payload: { a: "{{nonsense}}" } } }, "$.respond.payload.a"],
    [{ message_type: "x", respond: { payload: { a: "{{response.payload.a}}" } } }, "$.respond.payload.a"],
    [{ message_type: "x", push: [{ event_type: "e", to: "everyone" }] }, "$.push[0].to"],
    [{ match: {} }, "$.message_type"],
    // What a reviewer saw accepted: a template in an event type (sent literally), a matcher keyword
    // next to another key (silently an equality match), a payload matcher that is not an object.
    [{ message_type: "x", push: [{ event_type: "{{payload.a}}" }] }, "$.push[0].event_type"],
    [{ message_type: "x", match: { payload: { a: { regex: "x", extra: 1 } } } }, "$.match.payload.a"],
    [{ message_type: "x", match: { payload: [1, 2] } }, "$.match.payload"],
    [{ message_type: "x", match: { payload: "laser" } }, "$.match.payload"],
    [[{ message_type: "ok.one" }, { message_type: "bad", priority: -1 }], "$[1].priority"],
  ])("refuses %j with 400 naming %s, applying nothing", async (body, path) => {
    const res = await postJson(stubsUrl(), body);
    expect(res.status).toBe(400);
    expect(res.json.error.code).toBe("invalid_request");
    expect(res.json.error.message.startsWith(`${path}: `)).toBe(true);
    expect((await getJson(stubsUrl())).json.stubs).toEqual([]);
  });
});

describe("persistence and reset", () => {
  it("keeps stubs, their counts and scenario states across a restart; reset clears them", async () => {
    const stateDir = tempDir();
    const first = await startEmulator({ port: 0, stateDir });
    await patchConfig(first.url, { public_rate_limits: { per_ip: { rate_per_s: 1000, burst: 10_000 } } });
    const res = await postJson(`${first.url}/emulator/v1/stubs`, {
      id: "kept",
      message_type: "game.kept",
      respond: { payload: { n: "{{counter}}" } },
      scenario: { name: "s", new_state: "Later" },
    });
    expect(res.status).toBe(200);
    const device = await signIn(first.url, "carol@example.com");
    const key1 = await gatewayPublicKey(first.url);
    const call = async (url: string, key: Uint8Array) => {
      const r = await edgeClient(url).executeCommand(executeCommandRequest(device, { messageType: "game.kept", payload: {} }));
      expect(verifyResponse(r, key)).toEqual({ ok: true });
      return JSON.parse(fromUtf8(r.payloadBytes));
    };
    expect((await call(first.url, key1)).n).toBe(1);
    await first.close();

    const second = await startEmulator({ port: 0, stateDir });
    try {
      expect((await call(second.url, await gatewayPublicKey(second.url))).n).toBe(2);
      expect((await getJson(`${second.url}/emulator/v1/stubs/kept`)).json.matched_count).toBe(2);
      expect((await getJson(`${second.url}/emulator/v1/scenarios`)).json.scenarios).toEqual([{ name: "s", state: "Later" }]);
      expect((await postJson(`${second.url}/emulator/v1/reset`, {})).status).toBe(200);
      expect((await getJson(`${second.url}/emulator/v1/stubs`)).json.stubs).toEqual([]);
    } finally {
      await second.close();
    }
  });
});

describe("the README's worked example", () => {
  it("does what README \"Your own game\" says the client sees", async () => {
    const readme = readFileSync(path.resolve(import.meta.dirname, "../../README.md"), "utf8");
    const file = /<!-- example: stub-file -->\n```json\n([\s\S]*?)```/.exec(readme)![1]!;
    const dir = path.join(tempDir(), "stubs");
    mkdirSync(dir);
    writeFileSync(path.join(dir, "shop.json"), file);
    const own = await startEmulator({ port: 0, stateDir: tempDir(), stubsDir: dir });
    try {
      const key = await gatewayPublicKey(own.url);
      const device = await signIn(own.url);
      const stream = subscribe(own.url, device);
      await stream.next(); // server_time
      const call = async (payload: unknown) => {
        const req = executeCommandRequest(device, { messageType: "game.shop.buy", payload });
        const res = await edgeClient(own.url).executeCommand(req);
        expect(verifyResponse(res, key)).toEqual({ ok: true });
        return { resultCode: res.envelope!.resultCode, body: JSON.parse(fromUtf8(res.payloadBytes)), requestId: req.envelope!.requestId };
      };
      const bought = await call({ item: "laser", qty: 2 });
      expect(bought.resultCode).toBe("ok");
      expect(bought.body).toEqual({ item: "laser", qty: 2, order_id: expect.any(String) });
      const event = await stream.next();
      expect(verifyEvent(event, key)).toEqual({ ok: true });
      expect(event.envelope!.eventType).toBe("game.shop.delivered");
      expect(JSON.parse(fromUtf8(event.payloadBytes))).toEqual({ order: bought.body.order_id });
      const missed = await call({ item: "phaser", qty: 2 });
      expect(missed.resultCode).toBe("stub_not_matched");
      const { json } = await getJson(`${own.url}/emulator/v1/journal?after=0`);
      const entries = json.entries as JournalEntry[];
      expect(entries.find((e) => e.request_id === missed.requestId)!.stub).toEqual({ matched: false, nearest_id: "shop-buy-laser", differs_at: "payload.item" });
      expect(entries.find((e) => e.request_id === bought.requestId)!.stub).toEqual({ matched: true, id: "shop-buy-laser" });
      stream.cancel();
    } finally {
      await own.close();
    }
  });
});

describe("two gateways in front of one mock backend", () => {
  it("a type stubbed through one gateway is routed by the other, which asks the backend when it meets an unknown type", async () => {
    const mock = await startTestBackend();
    const open = (stateDir: string) =>
      startGateway({ port: 0, stateDir, mockBackendUrl: mock.url, mockBackendToken: TEST_BACKEND_TOKEN, config: { public_rate_limits: { per_ip: { rate_per_s: 1000, burst: 10_000 } } } });
    const [a, b] = await Promise.all([open(tempDir()), open(tempDir())]);
    try {
      const device = await signIn(b.url);
      const viaB = () => edgeClient(b.url).executeCommand(executeCommandRequest(device, { messageType: "game.elsewhere", payload: {} }));
      // B learnt the stubbed types (none) at its start; this one is added through A.
      expect((await postJson(`${a.url}/emulator/v1/stubs`, { message_type: "game.elsewhere", respond: { payload: { via: "a" } } })).status).toBe(200);
      const res = await viaB();
      expect(verifyResponse(res, b.publicKey())).toEqual({ ok: true });
      expect(JSON.parse(fromUtf8(res.payloadBytes))).toEqual({ via: "a" });
    } finally {
      await Promise.all([a.close(), b.close()]);
      await mock.close();
    }
  });
});
