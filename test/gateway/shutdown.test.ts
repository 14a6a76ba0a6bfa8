// Shutdown releases what would otherwise hold the HTTP drain open.
import { Code } from "@connectrpc/connect";
import { expect, it } from "vitest";
import { portOf } from "../hardening/support.js";
import { signIn, startTestEmulator, subscribe } from "../support/emulator.js";
import { holdRequest } from "../support/held-request.js";

it("answers a pending journal long-poll at shutdown instead of cutting it", async () => {
  const emulator = await startTestEmulator();
  // No entry ever comes after MAX_SAFE_INTEGER: only the shutdown can answer this long-poll.
  const longPoll = holdRequest(portOf(emulator.url), "GET", `/emulator/v1/journal?after=${Number.MAX_SAFE_INTEGER}&wait_ms=30000`);
  // The handler registers the long-poll with the journal before its first await, so once the request
  // is held (this process runs the server) the long-poll waits in the journal: the case under test,
  // not a request that arrives when the journal is already closed and is answered at once.
  await longPoll.held;
  await emulator.close();
  expect(await longPoll.outcome).toEqual({ status: 200, body: { entries: [] } });
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
