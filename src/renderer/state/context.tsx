// How components reach the app's services and stores: one context holding the AppServices object the
// root created (it never changes, so providing it re-renders nothing), and one hook that reads a store
// with useSyncExternalStore, so a component re-renders when the snapshot it reads changes.
import { createContext, useContext, useEffect, useSyncExternalStore, type ReactNode } from "react";
import type { ExternalStore } from "../lib/store.js";
import type { FeedState } from "../services/journal-feed.js";
import type { StreamState } from "../services/stream-manager.js";
import type { AppServices } from "./app-services.js";
import type { AppSnapshot } from "./app-store.js";
import type { GatewayInfoState } from "./gateway-info.js";

const ServicesContext = createContext<AppServices | null>(null);

export function ServicesProvider({ services, children }: { services: AppServices; children: ReactNode }) {
  useEffect(() => () => services.stop(), [services]);
  return <ServicesContext.Provider value={services}>{children}</ServicesContext.Provider>;
}

export function useServices(): AppServices {
  const services = useContext(ServicesContext);
  if (!services) throw new Error("useServices outside <ServicesProvider>");
  return services;
}

export function useStore<T>(store: ExternalStore<T>): T {
  return useSyncExternalStore(store.subscribe, store.getSnapshot);
}

/** Devices, the active one, revoked sessions, the open tab. */
export function useApp(): AppSnapshot {
  return useStore(useServices().app);
}

export function useGatewayInfo(): GatewayInfoState {
  return useStore(useServices().gatewayInfo);
}

/** Every event stream's state, by device session. */
export function useStreams(): ReadonlyMap<string, StreamState> {
  return useStore(useServices().streams);
}

export function useJournal(): FeedState {
  return useStore(useServices().journal);
}
