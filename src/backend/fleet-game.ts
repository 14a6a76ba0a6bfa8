// The toy game behind `game.fleet.dispatch`, just rich enough to produce business errors:
// - every user starts with 100 ships parked at "earth";
// - dispatching sends `ships` (a positive integer) from a planet to another one as a fleet;
//   the ships leave `from_planet` at once and land at `to_planet` FLIGHT_TIME_MS later;
// - landed ships can be dispatched again (arrivals are settled lazily, on the next dispatch);
// - errors: 422 `same_planet` (from == to), 422 `insufficient_ships` (more than parked there).
import { randomBytes } from "node:crypto";
import type { Fleet } from "../shared/protocol.js";

export const STARTING_PLANET = "earth";
export const STARTING_SHIPS = 100;
export const FLIGHT_TIME_MS = 60_000;

export type DispatchResult =
  | { ok: true; fleet: Fleet; ships_remaining: number }
  | { ok: false; code: "same_planet" | "insufficient_ships"; message: string };

/** A game's persisted form (see persistence.ts). */
export interface FleetGameState {
  parked: [string, number][];
  in_flight: Fleet[];
}

export class FleetGame {
  /** Ships parked per planet. */
  private readonly parked = new Map<string, number>([[STARTING_PLANET, STARTING_SHIPS]]);
  private inFlight: Fleet[] = [];

  static fromState(state: FleetGameState): FleetGame {
    const game = new FleetGame();
    game.parked.clear();
    for (const [planet, ships] of state.parked) game.parked.set(planet, ships);
    game.inFlight = state.in_flight.map((f) => ({ ...f }));
    return game;
  }

  toState(): FleetGameState {
    return { parked: [...this.parked], in_flight: this.inFlight.map((f) => ({ ...f })) };
  }

  dispatch(fromPlanet: string, toPlanet: string, ships: number, nowMs: number): DispatchResult {
    if (fromPlanet === toPlanet) return { ok: false, code: "same_planet", message: "from_planet and to_planet are the same" };
    this.land(nowMs);
    const available = this.parked.get(fromPlanet) ?? 0;
    if (ships > available) {
      return { ok: false, code: "insufficient_ships", message: `only ${available} ships at ${fromPlanet}` };
    }
    this.parked.set(fromPlanet, available - ships);
    const fleet: Fleet = {
      fleet_id: `f_${randomBytes(8).toString("hex")}`,
      from_planet: fromPlanet,
      to_planet: toPlanet,
      ships,
      arrives_at_ms: nowMs + FLIGHT_TIME_MS,
    };
    this.inFlight.push(fleet);
    return { ok: true, fleet, ships_remaining: available - ships };
  }

  private land(nowMs: number): void {
    const landed = this.inFlight.filter((f) => f.arrives_at_ms <= nowMs);
    if (landed.length === 0) return;
    this.inFlight = this.inFlight.filter((f) => f.arrives_at_ms > nowMs);
    for (const f of landed) this.parked.set(f.to_planet, (this.parked.get(f.to_planet) ?? 0) + f.ships);
  }
}
