// galaxy.backend.v1.Push/SubscribePush: replays the log after resume_after_event_id, then streams
// live events until the client goes away or the backend shuts down.
import { Code, ConnectError, type ConnectRouter, type HandlerContext } from "@connectrpc/connect";
import { Push, type SubscribePushRequest } from "../shared/gen/galaxy/backend/v1/backend_push_pb.js";
import { PushLog, SubscriberOverflowError } from "./push-log.js";

export interface PushServiceDeps {
  log: PushLog;
  /** Aborted when the backend closes: every stream ends with UNAVAILABLE. */
  shutdown: AbortSignal;
  /** Called when a stream starts and ends, so close() can wait for streams to finish. */
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
  // Either signal ends the stream; listeners are removed in `finally` so none outlive it.
  const stop = (): void => subscription.close();
  ctx.signal.addEventListener("abort", stop);
  deps.shutdown.addEventListener("abort", stop);
  if (ctx.signal.aborted || deps.shutdown.aborted) stop();
  deps.onStreamOpen();
  try {
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
    ctx.signal.removeEventListener("abort", stop);
    deps.shutdown.removeEventListener("abort", stop);
    subscription.close();
    deps.onStreamClosed();
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
