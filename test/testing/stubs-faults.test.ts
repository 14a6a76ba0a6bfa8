// The testing kit's `stubs` and `faults` handles as a client's test suite uses them: imported by the
// package's own name (the built dist/, like testing-kit.test.ts), a stub for a message type no route
// knows, a fault the SDK sees as GatewayCallError `injected_fault`, and the journal as the verify API.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GatewayCallError } from "galaxy-gateway-emulator/sdk";
import { ControlPlaneError, startTestEmulator, type TestEmulator } from "galaxy-gateway-emulator/testing";

const T = 30_000;
let emulator: TestEmulator;

beforeAll(async () => {
  emulator = await startTestEmulator();
}, T);
afterAll(async () => {
  await emulator?.close();
});

describe("stubs", () => {
  it("answers a new message type through the stub; the journal names the mapping; remove and clear take it away", async () => {
    const ids = await emulator.stubs.add({
      id: "shop-buy-laser",
      message_type: "game.shop.buy",
      match: { payload: { item: "laser" } },
      respond: { payload: { item: "{{payload.item}}", qty: "{{payload.qty}}" } },
    });
    expect(ids).toEqual(["shop-buy-laser"]);
    expect(await emulator.stubs.list()).toMatchObject([{ id: "shop-buy-laser", message_type: "game.shop.buy", matched_count: 0 }]);

    const pilot = await emulator.signIn();
    const answer = await pilot.execute("game.shop.buy", { item: "laser", qty: 2 });
    expect(answer).toMatchObject({ ok: true, resultCode: "ok", payload: { item: "laser", qty: 2 } });
    expect(await emulator.journal.find({ client: pilot, messageType: "game.shop.buy" })).toMatchObject([
      { code: "ok", result_code: "ok", request_id: answer.requestId, stub: { matched: true, id: "shop-buy-laser" } },
    ]);
    expect(await emulator.stubs.get("shop-buy-laser")).toMatchObject({ id: "shop-buy-laser", matched_count: 1 });

    const missed = await pilot.execute("game.shop.buy", { item: "phaser", qty: 2 });
    expect(missed).toMatchObject({ ok: false, resultCode: "stub_not_matched" });
    expect(await emulator.journal.find({ client: pilot, resultCode: "stub_not_matched" })).toMatchObject([
      { stub: { matched: false, nearest_id: "shop-buy-laser", differs_at: "payload.item" } },
    ]);

    await emulator.stubs.remove("shop-buy-laser");
    expect(await emulator.stubs.list()).toEqual([]);
    expect(await emulator.stubs.get("shop-buy-laser").catch((e: unknown) => e)).toMatchObject({ status: 404 });

    expect(await emulator.stubs.add([{ message_type: "game.a" }, { message_type: "game.b" }])).toHaveLength(2);
    expect(await emulator.stubs.clear()).toBe(2);
    expect(await emulator.stubs.list()).toEqual([]);
  }, T);

  it("refuses a bad mapping with a ControlPlaneError naming the JSON path", async () => {
    const error = await emulator.stubs.add({ message_type: "game.shop.buy", push: [{ event_type: "x", to: "nobody" }] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ControlPlaneError);
    expect(error).toMatchObject({ status: 400, code: "invalid_request", message: expect.stringContaining("$.push[0].to") });
  }, T);
});

describe("faults", () => {
  it("fails the SDK's call with GatewayCallError injected_fault; get, list, remove and clear through the handle", async () => {
    const pilot = await emulator.signIn();
    const ids = await emulator.faults.add({ target: "execute", message_type: "user.profile.get", error: { code: "unavailable" } });
    expect(ids).toHaveLength(1);
    const [id] = ids;
    expect(await emulator.faults.get(id!)).toMatchObject({ id, target: "execute", message_type: "user.profile.get", hits: 0 });

    const error = await pilot.execute("user.profile.get").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GatewayCallError);
    expect(error).toMatchObject({ code: "unavailable", reason: "injected_fault", stage: "fault" });
    expect(await emulator.journal.find({ client: pilot, reason: "injected_fault" })).toMatchObject([{ injected: id, code: "unavailable", reason: "injected_fault" }]);
    expect(await emulator.faults.list()).toMatchObject([{ id, hits: 1 }]);

    await emulator.faults.remove(id!);
    expect(await emulator.faults.list()).toEqual([]);
    expect(await emulator.faults.get(id!).catch((e: unknown) => e)).toMatchObject({ status: 404, code: "not_found" });
    expect(await pilot.execute("user.profile.get")).toMatchObject({ ok: true });

    const two = await emulator.faults.add([
      { target: "execute", latency_ms: 1 },
      { target: "subscribe", cut_after_events: 1 },
    ]);
    expect(two).toHaveLength(2);
    expect(await emulator.faults.clear()).toBe(2);
    expect(await emulator.faults.list()).toEqual([]);
  }, T);
});
