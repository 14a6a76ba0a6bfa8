// The standard gRPC health service (grpc.health.v1.Health): SERVING while the gateway runs,
// NOT_SERVING from the moment its shutdown begins. Known names: "" (the whole server) and the
// services given; any other is NOT_FOUND for Check and SERVICE_UNKNOWN for Watch, as the spec says.
// Watch streams send NOT_SERVING when the shutdown begins and then end, so they never hold the drain.
// Not a galaxy call: unsigned, not journaled.
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, type ConnectRouter, type HandlerContext } from "@connectrpc/connect";
import {
  Health,
  HealthCheckResponse_ServingStatus as Status,
  HealthCheckResponseSchema,
  HealthListResponseSchema,
  type HealthCheckResponse,
} from "../../shared/gen/grpc/health/v1/health_pb.js";

/** The gateway's serving state: one per gateway; shutDown() is final. */
export class ServingState {
  private shuttingDown = false;
  private readonly waiters = new Set<() => void>();

  get status(): Status {
    return this.shuttingDown ? Status.NOT_SERVING : Status.SERVING;
  }

  shutDown(): void {
    this.shuttingDown = true;
    for (const wake of this.waiters) wake();
    this.waiters.clear();
  }

  /** Resolves when the shutdown begins (at once if it has), or when `signal` aborts. */
  shutdownBegun(signal: AbortSignal): Promise<void> {
    if (this.shuttingDown || signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        this.waiters.delete(done);
        signal.removeEventListener("abort", done);
        resolve();
      };
      this.waiters.add(done);
      signal.addEventListener("abort", done, { once: true });
    });
  }
}

/** Health over `state`, knowing "" and the named services. */
export function healthRoutes(state: ServingState, serviceNames: readonly string[]): (router: ConnectRouter) => void {
  const known = new Set(["", ...serviceNames]);
  const response = (status: Status) => create(HealthCheckResponseSchema, { status });

  return (router) =>
    router.service(Health, {
      check(req) {
        if (!known.has(req.service)) throw new ConnectError(`unknown service ${JSON.stringify(req.service)}`, Code.NotFound);
        return response(state.status);
      },
      list() {
        return create(HealthListResponseSchema, { statuses: Object.fromEntries([...known].map((name) => [name, response(state.status)])) });
      },
      async *watch(req, ctx: HandlerContext): AsyncGenerator<HealthCheckResponse> {
        const isKnown = known.has(req.service);
        yield response(isKnown ? state.status : Status.SERVICE_UNKNOWN);
        if (state.status === Status.NOT_SERVING) return;
        await state.shutdownBegun(ctx.signal);
        // The client went (nothing to say) or its deadline ran out (DEADLINE_EXCEEDED, not a clean end).
        if (ctx.signal.aborted) {
          if (ctx.signal.reason instanceof ConnectError) throw ctx.signal.reason;
          return;
        }
        if (isKnown) yield response(Status.NOT_SERVING);
      },
    });
}
