// timeoutAtLeast: "at least ms" by performance.now(), which a plain setTimeout does not promise (it
// runs on the loop's cached clock; seen firing at 299.6 ms for 300 in CI). A lower bound only.
import { expect, it } from "vitest";
import { timeoutAtLeast } from "../../src/node/timeout-at-least.js";

it("never fires before its time by performance.now(), over many short timers", async () => {
  const waits = await Promise.all(
    Array.from({ length: 200 }, (_, i) => {
      const ms = 1 + (i % 7);
      const started = performance.now();
      return new Promise<[number, number]>((resolve) => timeoutAtLeast(ms, () => resolve([performance.now() - started, ms])));
    }),
  );
  expect(waits.filter(([elapsed, ms]) => elapsed < ms)).toEqual([]);
});
