import { describe, expect, it } from "vitest";
import { TurnBudget } from "../../src/gateway/loop-turn.js";

function busy(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // spin
  }
}

describe("TurnBudget", () => {
  it("lets work run within the budget, then defers it to a later turn of the event loop", async () => {
    const budget = new TurnBudget(5);
    expect(budget.spent()).toBeUndefined();
    expect(budget.spent()).toBeUndefined();
    let earlierImmediateRan = false;
    setImmediate(() => (earlierImmediateRan = true));
    busy(6);
    const later = budget.spent();
    expect(later).toBeInstanceOf(Promise);
    await later;
    // Settled by a setImmediate, after what the turn had already queued (as HTTP/2 queues its flush).
    expect(earlierImmediateRan).toBe(true);
    expect(budget.spent()).toBeUndefined();
  });

  it("wait() resumes deferred work in the order it was deferred", async () => {
    const budget = new TurnBudget(1);
    const order: number[] = [];
    const jobs = Array.from({ length: 20 }, (_, i) =>
      budget.wait().then(() => {
        order.push(i);
        busy(0.3);
      }),
    );
    await Promise.all(jobs);
    expect(order).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });
});
