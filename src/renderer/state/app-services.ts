// The composition root of the console: every service and store, created once by main.tsx and handed
// to the components through one React context (state/context.tsx). Nothing here is a module global,
// so two consoles (or two tests) never share a stream, a journal feed or a device list.
import type { DesktopBridge } from "../../shared/bridge.js";
import { DEFAULT_CALL_TIMEOUT_MS } from "../../sdk/client.js";
import { createPublicRest, type Fetch, type PublicRest } from "../../sdk/rest.js";
import { CommandService } from "../services/commands.js";
import { createControlPlane, type ControlPlane } from "../services/control-plane.js";
import { createGatewayClient } from "../services/gateway-client.js";
import { HistoryStore, type KeyValueStorage } from "../services/history.js";
import { createJsonHttp } from "../services/http.js";
import { JournalFeed } from "../services/journal-feed.js";
import { StreamManager } from "../services/stream-manager.js";
import { AppStore } from "./app-store.js";
import { GatewayInfoStore } from "./gateway-info.js";

export interface AppServices {
  readonly bridge: DesktopBridge;
  /** The public REST of PROTOCOL.md §1 and §3, through the client SDK, as a game client calls it. */
  readonly rest: PublicRest;
  readonly control: ControlPlane;
  readonly commands: CommandService;
  readonly streams: StreamManager;
  readonly journal: JournalFeed;
  readonly gatewayInfo: GatewayInfoStore;
  readonly app: AppStore;
  /** Requests sent and collections saved, kept across reloads. */
  readonly history: HistoryStore;
  /**
   * Resets the emulator (sessions, challenges, mailbox, replay store, buckets, journal), then what the
   * console holds of it: the journal shown, the streams; with forgetDevices, the stored devices too.
   */
  resetEmulator(options: { forgetDevices: boolean }): Promise<void>;
  /** Stops everything that runs in the background (streams, the journal feed). */
  stop(): void;
}

export function createAppServices(options: { bridge: DesktopBridge; origin: string; accessToken?: string; storage?: KeyValueStorage }): AppServices {
  const { bridge, origin } = options;
  const http = createJsonHttp(origin, options.accessToken);
  const rest = createPublicRest(origin, noStoreFetch, DEFAULT_CALL_TIMEOUT_MS);
  const control = createControlPlane(http);
  const gateway = createGatewayClient(origin);
  const streams = new StreamManager({ client: () => gateway });
  const history = new HistoryStore(options.storage);
  const commands = new CommandService(
    gateway,
    (id) => app.markRevoked(id),
    (outcome) =>
      history.record({
        deviceSessionId: outcome.device.deviceSessionId,
        sentAtMs: Date.now(),
        messageType: outcome.signed.envelope.messageType,
        payloadText: new TextDecoder().decode(outcome.signed.payloadBytes),
        requestId: outcome.signed.envelope.requestId,
        outcome: outcome.response?.envelope?.resultCode ?? outcome.rejection?.reason ?? outcome.rejection?.code ?? "no answer",
        accepted: outcome.response !== undefined,
        elapsedMs: outcome.elapsedMs,
      }),
  );
  const app: AppStore = new AppStore(bridge, (id) => {
    streams.stop(id);
    streams.forget(id);
    commands.forget(id);
    history.forgetDevice(id);
  });
  const journal = new JournalFeed(control);
  const gatewayInfo = new GatewayInfoStore(rest, control);

  return {
    bridge,
    rest,
    control,
    commands,
    streams,
    journal,
    gatewayInfo,
    app,
    history,
    async resetEmulator({ forgetDevices }) {
      await control.reset();
      journal.clearLocal();
      streams.stopAll("the emulator was reset, so the gateway no longer knows this session");
      const devices = app.getSnapshot().devices;
      if (forgetDevices) for (const d of devices) app.removeDevice(d.deviceSessionId);
      else app.markGone(devices.map((d) => d.deviceSessionId));
    },
    stop() {
      streams.stopAll();
      journal.stop();
    },
  };
}

/** The browser's fetch, never answered from its HTTP cache: gateway info and §3 answers are live. */
const noStoreFetch: Fetch = (input, init) => fetch(input, { ...init, cache: "no-store" });
