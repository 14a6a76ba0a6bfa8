// The game client's contract tests: node:test against the gateway emulator's testing kit. Each test
// talks to a real gateway (signed requests, verified answers and events) running in this process.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { GatewayCallError } from "galaxy-gateway-emulator/sdk";
import { startTestEmulator } from "galaxy-gateway-emulator/testing";
import { FleetCommander, GameError } from "../src/fleet-client.js";

describe("FleetCommander", () => {
  let emulator;
  before(async () => {
    emulator = await startTestEmulator();
  });
  after(() => emulator.close());

  it("dispatches a fleet, and the gateway saw exactly one signed call", async () => {
    const commander = new FleetCommander(await emulator.signIn("commander@example.com"));
    const fleet = await commander.dispatch("earth", "mars", 25);
    assert.equal(fleet.ships_remaining, 75);
    const calls = await emulator.journal.find({ client: commander.gateway, messageType: "game.fleet.dispatch" });
    assert.equal(calls.length, 1);
    assert.equal(calls[0].result_code, "ok");
  });

  it("turns a business error into a GameError", async () => {
    const commander = new FleetCommander(await emulator.signIn());
    await assert.rejects(commander.dispatch("earth", "earth", 1), (e) => e instanceof GameError && e.code === "same_planet");
    await assert.rejects(commander.dispatch("earth", "mars", 1000), (e) => e instanceof GameError && e.code === "insufficient_ships");
  });

  it("receives a chat message pushed by the backend", async () => {
    const alice = new FleetCommander(await emulator.signIn("alice@example.com"));
    const bob = new FleetCommander(await emulator.signIn("bob@example.com"));
    const abort = new AbortController();
    const stream = bob.gateway.subscribe({ signal: abort.signal });
    await stream.next(); // gateway.server_time: bob's stream is registered
    await alice.chat(bob.gateway.device.userId, "o7");
    const { value } = await stream.next();
    assert.equal(value.eventType, "game.chat.message");
    assert.deepEqual([value.payload.from_user_id, value.payload.text], [alice.gateway.device.userId, "o7"]);
    abort.abort();
  });

  it("keeps working from a saved device, until the session is revoked", async () => {
    const first = new FleetCommander(await emulator.signIn("saved@example.com"));
    const restored = FleetCommander.restore(emulator.url, JSON.parse(JSON.stringify(first.saveDevice())));
    assert.equal((await restored.rename("Admiral")).display_name, "Admiral");
    await emulator.revoke({ userId: first.gateway.device.userId });
    await assert.rejects(restored.profile(), (e) => e instanceof GatewayCallError && e.reason === "session_revoked");
  });
});
