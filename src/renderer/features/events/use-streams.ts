import { useEffect, useState, useSyncExternalStore } from "react";
import { useApp } from "../../state/app-state.js";
import type { StreamState } from "./stream-manager.js";

export function useStreams(): ReadonlyMap<string, StreamState> {
  const { streams } = useApp();
  return useSyncExternalStore(streams.subscribe, streams.getSnapshot);
}

/** Re-renders every `ms` while `on` (for countdowns). */
export function useTick(on: boolean, ms = 500): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!on) return;
    const t = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(t);
  }, [on, ms]);
  return now;
}
