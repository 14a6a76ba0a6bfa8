// Shutting the listener down within a bound: stop accepting, let in-flight requests finish for up to
// drainMs, then have the calls still running answer (ABORT_GRACE_MS), then cut whatever remains. The
// steps that touch each protocol come from the composition (listener.ts); the sequence and its timing
// live here, with the set of every TCP connection the last step cuts.
import type net from "node:net";

/** After the drain timeout: how long aborted calls get to write their answers before connections are cut. */
export const ABORT_GRACE_MS = 500;

/** Every TCP connection, whatever it became: the end of a drain cuts them all. */
export class OpenSockets {
  private readonly sockets = new Set<net.Socket>();

  add(socket: net.Socket): void {
    this.sockets.add(socket);
    socket.once("close", () => this.sockets.delete(socket));
  }

  destroyAll(): void {
    for (const socket of this.sockets) socket.destroy();
  }
}

export interface DrainSteps {
  /** Stops accepting connections; resolves once the TCP server has closed. */
  stopAccepting(): Promise<void>;
  /** No new requests: connections not yet identified are cut, idle ones closed, busy ones close as their calls end. */
  windDown(): void;
  /** The connections whose closing completes the drain. */
  draining(): Iterable<net.Socket>;
  /** Cuts everything still open. */
  cut(): void;
}

/**
 * Resolves within drainMs + ABORT_GRACE_MS: when the draining connections have closed, or after
 * drainMs (then `onDrainTimeout`, which should make the remaining calls answer, and up to
 * ABORT_GRACE_MS for those answers) once everything left is cut.
 */
export async function drain(steps: DrainSteps, drainMs: number, onDrainTimeout?: () => void): Promise<void> {
  const closed = steps.stopAccepting();
  steps.windDown();
  const drained = Promise.all([...steps.draining()].map((s) => new Promise<void>((r) => (s.destroyed ? r() : s.once("close", () => r())))));
  const within = async (ms: number): Promise<boolean> => {
    let timer: NodeJS.Timeout | undefined;
    const done = await Promise.race([drained.then(() => true), new Promise<boolean>((r) => (timer = setTimeout(() => r(false), ms)))]);
    clearTimeout(timer);
    return done;
  };
  if (!(await within(drainMs)) && onDrainTimeout) {
    // Calls still running get to answer (UNAVAILABLE) rather than lose their connection unanswered.
    onDrainTimeout();
    await within(ABORT_GRACE_MS);
  }
  steps.cut();
  await closed;
}
