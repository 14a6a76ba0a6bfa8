import { useEffect } from "react";

/**
 * While `on` (the tab is visible): calls `poll` at once and then every `ms`; when it goes off or the
 * component leaves, stops the timer and aborts the signal, so an answer still in flight is dropped.
 * `poll` should be stable (useCallback), or the polling restarts on every render.
 */
export function usePoll(on: boolean, ms: number, poll: (signal: AbortSignal) => Promise<unknown>): void {
  useEffect(() => {
    if (!on) return;
    const abort = new AbortController();
    void poll(abort.signal);
    const timer = setInterval(() => void poll(abort.signal), ms);
    return () => {
      clearInterval(timer);
      abort.abort();
    };
  }, [on, ms, poll]);
}
