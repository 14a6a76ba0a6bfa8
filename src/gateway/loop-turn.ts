// Cooperative yielding between calls. HTTP/2 delivers many requests in one socket read, and Node
// writes HTTP/2 frames only once the current turn of the event loop is over (the session's flush is
// a native setImmediate). Without a yield, a burst of N calls is checked back to back, then all N
// backend round trips, then all N answers leave in one write: the client gets N answers at once and
// the gateway sits idle while the client turns them into N new requests (a convoy). Starting new
// calls only while this turn has run less than a small budget lets answers already made leave at the
// end of every turn, so the client works while the gateway works.
import { performance } from "node:perf_hooks";

export class TurnBudget {
  /** When the current turn's first check ran; -1 once a setImmediate has marked the turn over. */
  private turnStartedAt = -1;

  constructor(private readonly budgetMs: number) {}

  /**
   * undefined while the current turn of the event loop has run less than the budget; otherwise a
   * promise settled by setImmediate, i.e. after the pending network writes of this turn went out.
   */
  spent(): Promise<void> | undefined {
    const now = performance.now();
    if (this.turnStartedAt < 0) {
      this.turnStartedAt = now;
      setImmediate(() => {
        this.turnStartedAt = -1;
      });
      return undefined;
    }
    if (now - this.turnStartedAt < this.budgetMs) return undefined;
    return new Promise<void>((resolve) => setImmediate(resolve));
  }

  /**
   * undefined when the current turn has room for more work now; otherwise a promise settled once a
   * later turn has (zero or more turns on). No promise on the common path: callers await only when given one.
   */
  wait(): Promise<void> | undefined {
    const turn = this.spent();
    return turn && this.waitFrom(turn);
  }

  private async waitFrom(turn: Promise<void> | undefined): Promise<void> {
    for (; turn; turn = this.spent()) await turn;
  }
}
