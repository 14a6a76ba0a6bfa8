// A tiny game client: what a real game's client code looks like on top of the SDK. It knows the game's
// commands and turns the gateway's answers into the game's own results and errors.
import { createGatewayClient } from "galaxy-gateway-emulator/sdk";

/** A business error of the game (a signed answer whose result_code is not "ok"). */
export class GameError extends Error {
  constructor(code, message) {
    super(message);
    this.name = "GameError";
    this.code = code;
  }
}

export class FleetCommander {
  /** @param {import("galaxy-gateway-emulator/sdk").GatewayClient} gateway a signed-in SDK client */
  constructor(gateway) {
    this.gateway = gateway;
  }

  /** Opens a commander from a device saved earlier (`saveDevice`). */
  static restore(baseUrl, savedDevice) {
    return new FleetCommander(createGatewayClient({ baseUrl, device: savedDevice }));
  }

  saveDevice() {
    return this.gateway.exportDevice();
  }

  async profile() {
    return this.#ok(await this.gateway.execute("user.profile.get"));
  }

  async rename(displayName) {
    return this.#ok(await this.gateway.execute("user.profile.update", { display_name: displayName }));
  }

  /** Sends ships; resolves with the fleet, rejects with a GameError (same_planet, insufficient_ships). */
  async dispatch(fromPlanet, toPlanet, ships) {
    return this.#ok(await this.gateway.execute("game.fleet.dispatch", { from_planet: fromPlanet, to_planet: toPlanet, ships }));
  }

  async chat(toUserId, text) {
    return this.#ok(await this.gateway.execute("game.chat.send", { to_user_id: toUserId, text }));
  }

  /** Chat messages as they arrive (verified by the SDK), until `signal` aborts. */
  async *chatMessages(signal) {
    for await (const event of this.gateway.subscribe({ signal })) {
      if (event.eventType === "gateway.server_time") continue;
      if (event.eventType === "game.chat.message") yield event.payload;
    }
  }

  #ok(answer) {
    if (!answer.ok) throw new GameError(answer.resultCode, answer.error?.message ?? answer.resultCode);
    return answer.payload;
  }
}
