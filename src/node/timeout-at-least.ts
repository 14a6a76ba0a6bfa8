// A timer that never fires before `ms` have passed on performance.now(). Node's timers run on the event
// loop's cached clock and can fire a fraction of a millisecond early by a fine clock; an injected
// latency or a stub's delay promises "at least", and tests hold it to that (seen: 299.6 ms for 300).

/** Calls `fn` once `ms` have passed (re-arming for what is left if woken early); returns a cancel. */
export function timeoutAtLeast(ms: number, fn: () => void): () => void {
  const until = performance.now() + ms;
  const wake = () => {
    const left = until - performance.now();
    if (left > 0) timer = setTimeout(wake, Math.ceil(left));
    else fn();
  };
  let timer = setTimeout(wake, ms);
  return () => clearTimeout(timer);
}
