// galaxy.backend.v1.Push/SubscribePush: replays the log after resume_after_event_id, then streams
// live events until the client goes away or the backend shuts down.
import { Code, ConnectError, type ConnectRouter, type HandlerContext } from "@connectrpc/connect";
import { create } from "@bufbuild/protobuf";
import { Push, PushEventSchema, type SubscribePushRequest } from "../shared/gen/galaxy/backend/v1/backend_push_pb.js";
import { PushLog, SubscriberOverflowError } from "./push-log.js";

export interface PushServiceDeps {
  log: PushLog;
  /** Aborted when the backend closes: every stream ends with UNAVAILABLE. */
  shutdown: AbortSignal;
  /** Called when a stream starts and when it is over (finished, or its client gone), so close() can wait. */
  onStreamOpen(): void;
  onStreamClosed(): void;
}

export function pushRoutes(deps: PushServiceDeps): (router: ConnectRouter) => void {
  return (router) => {
    router.service(Push, {
      subscribePush: (req, ctx) => subscribePush(deps, req, ctx),
    });
  };
}

async function* subscribePush(deps: PushServiceDeps, req: SubscribePushRequest, ctx: HandlerContext) {
  const afterId = parseResumeId(req.resumeAfterEventId);
  if (deps.shutdown.aborted) throw shuttingDown();
  const subscription = deps.log.subscribe(afterId);
  deps.onStreamOpen();

  // Runs once: when the generator finishes, or as soon as the client is gone. The second case
  // matters because connect-node may never resume a generator parked at `yield` once the
  // response is closed (its pending write settles neither way), so `finally` cannot be relied on.
  let released = false;
  const release = (): void => {
    if (released) return;
    released = true;
    ctx.signal.removeEventListener("abort", release);
    deps.shutdown.removeEventListener("abort", endForShutdown);
    subscription.close();
    deps.onStreamClosed();
  };
  // On shutdown the stream is still writable: close the subscription and let the loop below end
  // the stream with UNAVAILABLE, which releases it in `finally`.
  const endForShutdown = (): void => subscription.close();
  ctx.signal.addEventListener("abort", release);
  deps.shutdown.addEventListener("abort", endForShutdown);
  if (ctx.signal.aborted) release();

  try {
    // A heartbeat (no event_id, no kind) first: connect-node sends the response headers only with the
    // first message, and the gateway counts its push stream as connected (and caches sessions) only
    // once they arrive. Gateways ignore kindless events.
    yield create(PushEventSchema, {});
    for (;;) {
      const event = await subscription.next();
      if (!event) break;
      yield event;
    }
    if (deps.shutdown.aborted) throw shuttingDown();
  } catch (err) {
    if (err instanceof SubscriberOverflowError) throw new ConnectError(err.message, Code.ResourceExhausted);
    throw err;
  } finally {
    release();
  }
}

function parseResumeId(value: string): number | undefined {
  if (value === "") return undefined;
  if (!/^[0-9]{1,20}$/.test(value)) {
    throw new ConnectError(`resume_after_event_id must be a decimal event id, got ${JSON.stringify(value)}`, Code.InvalidArgument);
  }
  return Number(value);
}

function shuttingDown(): ConnectError {
  return new ConnectError("mock backend shutting down", Code.Unavailable);
}
