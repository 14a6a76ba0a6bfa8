import { describe, expect, it } from "vitest";
import { TurnBudget } from "../../src/gateway/loop-turn.js";
import { runPipeline } from "../../src/gateway/pipeline.js";
import type { GatewayCall, Stage } from "../../src/gateway/stages/stage.js";

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

  it("wait() gives no promise while the turn has room", () => {
    const budget = new TurnBudget(5);
    expect(budget.wait()).toBeUndefined();
    busy(6);
    expect(budget.wait()).toBeInstanceOf(Promise);
  });

  it("wait() resumes deferred work in the order it was deferred", async () => {
    const budget = new TurnBudget(1);
    const order: number[] = [];
    const jobs = Array.from({ length: 20 }, (_, i) =>
      (budget.wait() ?? Promise.resolve()).then(() => {
        order.push(i);
        busy(0.3);
      }),
    );
    await Promise.all(jobs);
    expect(order).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });
});

describe("runPipeline and the turn budget", () => {
  /** A call labelled by its clientIp, through one stage that records when it runs. */
  function call(label: string): GatewayCall {
    return {
      rpc: "ExecuteCommand",
      clientIp: label,
      receivedAtMs: 0,
      rawEnvelope: undefined,
      payloadBytes: new Uint8Array(0),
      signature: new Uint8Array(0),
      signal: new AbortController().signal,
      timeoutMs: () => undefined,
    };
  }

  it("waits on its own gateway's budget: two gateways in one process do not share one", async () => {
    const ran: string[] = [];
    const stages: Stage[] = [{ name: "envelope", run: (c) => void ran.push(c.clientIp) }];
    // Budgets of 0 ms: the first call of a turn starts, every later one of that turn waits for the next.
    const gatewayA = new TurnBudget(0);
    const gatewayB = new TurnBudget(0);
    const calls = [
      runPipeline(stages, call("A1"), gatewayA),
      runPipeline(stages, call("A2"), gatewayA), // A's turn is spent: waits
      runPipeline(stages, call("B1"), gatewayB), // B's is not: starts now, before A2
    ];
    await Promise.all(calls);
    expect(ran).toEqual(["A1", "B1", "A2"]);
  });
});
