// Shutdown releases what would otherwise hold the HTTP drain open.
import { expect, it } from "vitest";
import { startTestEmulator } from "../support/emulator.js";

it("answers a pending journal long-poll at shutdown instead of cutting it", async () => {
  const emulator = await startTestEmulator();
  const url = `${emulator.url}/emulator/v1/journal?after=1000000&wait_ms=30000`;
  const polling = fetch(url).then(async (res) => ({ status: res.status, body: await res.json() }));
  // The request is in flight once the server has seen it: wait for the listener to hold it.
  await expect.poll(() => fetch(`${emulator.url}/healthz`).then((r) => r.status)).toBe(200);
  await emulator.close();
  expect(await polling).toEqual({ status: 200, body: { entries: [] } });
});
