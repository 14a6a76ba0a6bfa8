// A delay that ends early (resolving, not rejecting) when its signal aborts: backoff loops in the
// gateway's push dispatcher and the renderer's event streams stop waiting the moment they are stopped.
export function abortableDelay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
  });
}
