// The mock backend's emulator-only stub endpoints, which the gateway's control plane forwards to
// (README "Your own game"): add (one mapping or an array, all or nothing), list, get, delete, the
// stubbed message types (the gateway routes them), and the scenarios.
import { HttpError } from "../../node/http-json.js";
import { invalidRequest } from "../http-json.js";
import type { Route } from "../router.js";
import { randomId } from "../store.js";
import { compileMapping, type CompiledMapping } from "./mapping.js";
import type { PushScheduler } from "./push-scheduler.js";
import { StubLimitError, type StubStore } from "./stub-store.js";
import { StubValidationError } from "./validation-error.js";

/** A missing stub: its own code, so the gateway can tell it from a backend that has no stub endpoints (404 → 501). */
export const STUB_NOT_FOUND = "stub_not_found";

export function newStubId(): string {
  return randomId("stub_", 8);
}

/** Validates a POST body (a mapping or an array of them); throws 400 naming the first problem's path. */
export function compileBody(body: unknown): CompiledMapping[] {
  try {
    if (Array.isArray(body)) return body.map((m, i) => compileMapping(m, `$[${i}]`, newStubId));
    return [compileMapping(body, "$", newStubId)];
  } catch (err) {
    if (err instanceof StubValidationError) throw invalidRequest(err.message);
    throw err;
  }
}

export function stubRoutes(stubs: StubStore): Route[] {
  const notFound = (id: string) => new HttpError(404, STUB_NOT_FOUND, `no stub ${id}`);
  return [
    {
      method: "POST",
      path: "/emulator/v1/stubs",
      async handler(ctx) {
        const compiled = compileBody(await ctx.body());
        try {
          return { body: { ids: stubs.add(compiled) } };
        } catch (err) {
          if (err instanceof StubLimitError) throw invalidRequest(`$: ${err.message}`);
          throw err;
        }
      },
    },
    { method: "GET", path: "/emulator/v1/stubs", handler: () => ({ body: { stubs: stubs.list() } }) },
    {
      method: "DELETE",
      path: "/emulator/v1/stubs",
      handler: () => ({ body: { deleted: stubs.clear() } }),
    },
    {
      method: "GET",
      path: "/emulator/v1/stubs/:id",
      handler(ctx) {
        const id = ctx.params["id"]!;
        const stub = stubs.get(id);
        if (!stub) throw notFound(id);
        return { body: stub };
      },
    },
    {
      method: "DELETE",
      path: "/emulator/v1/stubs/:id",
      handler(ctx) {
        const id = ctx.params["id"]!;
        if (!stubs.delete(id)) throw notFound(id);
        return { body: {} };
      },
    },
    { method: "GET", path: "/emulator/v1/stub-types", handler: () => ({ body: { message_types: stubs.types() } }) },
    { method: "GET", path: "/emulator/v1/scenarios", handler: () => ({ body: { scenarios: stubs.scenarioStates() } }) },
    {
      method: "POST",
      path: "/emulator/v1/scenarios/reset",
      handler() {
        stubs.resetScenarios();
        return { body: {} };
      },
    },
  ];
}

/** What the mock's /emulator/v1/reset does to stubs: mappings, scenarios and pending pushes all go. */
export function resetStubs(stubs: StubStore, pushes: PushScheduler): void {
  stubs.clear();
  pushes.clear();
}
