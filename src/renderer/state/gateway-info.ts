// The gateway's public info (current response-signing key, freshness window, clock), shared by the
// header, devices and settings: refreshed every few seconds while anything watches it, and on demand
// (after a key rotation or a settings change).
import type { EmulatorStatus, GatewayInfo } from "../../shared/protocol.js";
import { Store, type ExternalStore } from "../lib/store.js";
import { backendHealthOf, type BackendHealth, type ControlPlane } from "../services/control-plane.js";
import type { PublicRest } from "../../sdk/rest.js";

export interface GatewayInfoState {
  info?: GatewayInfo;
  /** server_time_ms − local clock at the time of the answer (ignores latency). */
  skewMs?: number;
  online: boolean | undefined;
  checkedAtMs?: number;
  /** The configured backend as the gateway reaches it (undefined until asked, or when it cannot say). */
  backend?: BackendHealth;
}

/** Often enough that the header notices a stopped gateway soon; one small GET, so cheap. */
const REFRESH_MS = 10_000;

export class GatewayInfoStore implements ExternalStore<GatewayInfoState> {
  private readonly state = new Store<GatewayInfoState>({ online: undefined });
  private watchers = 0;
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly rest: Pick<PublicRest, "gatewayInfo">,
    private readonly control?: Pick<ControlPlane, "getStatus">,
  ) {}

  /** The first watcher starts the refreshes, the last one to leave stops them. */
  readonly subscribe = (listener: () => void): (() => void) => {
    const unsubscribe = this.state.subscribe(listener);
    if (this.watchers++ === 0) {
      void this.refresh();
      this.timer = setInterval(() => void this.refresh(), REFRESH_MS);
    }
    let subscribed = true;
    return () => {
      if (!subscribed) return;
      subscribed = false;
      unsubscribe();
      if (--this.watchers === 0) clearInterval(this.timer);
    };
  };

  readonly getSnapshot = this.state.getSnapshot;

  /** A status measured elsewhere (the Overview's, every 3 s): the backend light follows it now, not at the next refresh. */
  observeStatus(status: EmulatorStatus): void {
    this.state.update((s) => ({ ...s, backend: backendHealthOf(status) }));
  }

  async refresh(): Promise<GatewayInfo | undefined> {
    const backend = this.control?.getStatus().then(backendHealthOf).catch(() => undefined);
    try {
      const info = await this.rest.gatewayInfo();
      const health = await backend;
      this.state.set({ info, skewMs: info.server_time_ms - Date.now(), online: true, checkedAtMs: Date.now(), ...(health ? { backend: health } : {}) });
      return info;
    } catch {
      this.state.update(({ backend: _unknown, ...s }) => ({ ...s, online: false, checkedAtMs: Date.now() }));
      return undefined;
    }
  }
}
