// The README's testing-kit example ("Use it in CI"), run as the vitest suite it is: the region below is
// in README.md word for word (the last test checks).
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";

// #region readme-testing-kit
import { afterAll, beforeAll, expect, it } from "vitest";
import { startTestEmulator, type TestEmulator } from "galaxy-gateway-emulator/testing";

let emulator: TestEmulator;
beforeAll(async () => {
  emulator = await startTestEmulator(); // a free port, a temporary state dir, relaxed rate limits
});
afterAll(() => emulator.close());

it("dispatches a fleet; the gateway verified exactly one call", async () => {
  const pilot = await emulator.signIn("pilot@example.com"); // an SDK client, signed in through the mailbox
  const answer = await pilot.execute("game.fleet.dispatch", { from_planet: "earth", to_planet: "mars", ships: 10 });
  expect(answer).toMatchObject({ ok: true, payload: { ships_remaining: 90 } });
  const calls = await emulator.journal.find({ client: pilot, messageType: "game.fleet.dispatch" });
  expect(calls).toMatchObject([{ code: "ok", result_code: "ok" }]); // each with its stages' verdicts
});

it("receives what the backend pushes", async () => {
  const pilot = await emulator.signIn();
  const events = pilot.subscribe();
  await events.next(); // gateway.server_time: the stream is registered
  await emulator.push({ userId: pilot.device!.userId, eventType: "game.match.found", payload: { match_id: "m1" } });
  expect((await events.next()).value).toMatchObject({ eventType: "game.match.found", payload: { match_id: "m1" } });
  await events.return(undefined);
});
// #endregion

it("is the one in README.md", async () => {
  const source = await readFile(fileURLToPath(import.meta.url), "utf8");
  const region = /\/\/ #region readme-testing-kit\n([\s\S]*?)\/\/ #endregion/.exec(source)?.[1];
  expect(region).toBeDefined();
  expect(await readFile(fileURLToPath(new URL("../../README.md", import.meta.url)), "utf8")).toContain(region!);
});
