// The gateway's shutdown signal, aborted when a shutdown's drain time is over. connect-node links
// every in-flight call's signal to it: one "abort" listener per call, removed when the call ends
// (test/gateway/shutdown-signal.test.ts). So it holds as many listeners as there are calls in flight,
// and the listener's limits bound those: maxConnections × what one connection may hold at once
// (maxConcurrentStreams streams on HTTP/2, maxPipelinedRequests requests on HTTP/1.1). Node's leak
// warning fires past 10 listeners by default, which ordinary load exceeds; raised to this bound it
// still reports a real leak.
import { setMaxListeners } from "node:events";
import type { ListenerLimits } from "./listener.js";

export type CallLimits = Pick<ListenerLimits, "maxConnections" | "maxConcurrentStreams" | "maxPipelinedRequests">;

/** The most calls the listener lets run at once. */
export function maxCallsInFlight(limits: CallLimits): number {
  return limits.maxConnections * Math.max(limits.maxConcurrentStreams, limits.maxPipelinedRequests);
}

export function createShutdownController(limits: CallLimits): AbortController {
  const controller = new AbortController();
  setMaxListeners(maxCallsInFlight(limits), controller.signal);
  return controller;
}
