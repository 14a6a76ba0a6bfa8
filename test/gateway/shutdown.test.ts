// Shutdown releases what would otherwise hold the HTTP drain open.
import { Code } from "@connectrpc/connect";
import { expect, it } from "vitest";
import { signIn, startTestEmulator, subscribe } from "../support/emulator.js";

it("answers a pending journal long-poll at shutdown instead of cutting it", async () => {
  const emulator = await startTestEmulator();
  const url = `${emulator.url}/emulator/v1/journal?after=1000000&wait_ms=30000`;
  const polling = fetch(url).then(async (res) => ({ status: res.status, body: await res.json() }));
  // The request is in flight once the server has seen it: wait for the listener to hold it.
  await expect.poll(() => fetch(`${emulator.url}/healthz`).then((r) => r.status)).toBe(200);
  await emulator.close();
  expect(await polling).toEqual({ status: 200, body: { entries: [] } });
});

it("does not wait for an HTTP/2 client that keeps its connection open after its last stream ended", async () => {
  const emulator = await startTestEmulator();
  const sub = subscribe(emulator.url, await signIn(emulator.url), "connect h2");
  await sub.next(); // server_time; then the client reads nothing and never closes its connection
  // The gateway ends the stream and sends GOAWAY; node then waits for the client's FIN, which never
  // comes. The drain must not: with a 10-minute drain, this test's 30 s timeout would catch it.
  await emulator.close(10 * 60_000);
  const ended = await sub.ended();
  expect(ended.code).toBe(Code.Unavailable);
});
