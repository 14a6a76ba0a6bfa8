import { useEffect, useRef, type KeyboardEvent } from "react";
import { deadReason, TABS, type Tab } from "../state/app-store.js";
import { useApp, useGatewayInfo, useServices, useStreams } from "../state/context.js";
import { deviceLabel } from "./util.js";

const LABELS: Record<Tab, string> = {
  overview: "Overview",
  signin: "Sign in",
  commands: "Commands",
  history: "History",
  events: "Events",
  inspector: "Inspector",
  world: "Stubs & faults",
  tamper: "Tamper lab",
  settings: "Settings",
};

export const tabId = (t: Tab) => `tab-${t}`;
export const paneId = (t: Tab) => `pane-${t}`;

/** "5 s", "0.5 s", "300 s": a duration the header has little room for. */
function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(1))} s`;
}

/**
 * The WAI-ARIA tabs pattern (automatic activation): one tab in the Tab order (roving tabindex), Left/
 * Right move to the previous/next tab (wrapping), Home/End to the first/last, each selecting it.
 */
function Tabs({ current, onSelect }: { current: Tab; onSelect(t: Tab): void }) {
  const refs = useRef(new Map<Tab, HTMLButtonElement>());
  const move = (e: KeyboardEvent, from: Tab) => {
    const i = TABS.indexOf(from);
    const target =
      e.key === "ArrowRight" ? TABS[(i + 1) % TABS.length] : e.key === "ArrowLeft" ? TABS[(i - 1 + TABS.length) % TABS.length] : e.key === "Home" ? TABS[0] : e.key === "End" ? TABS[TABS.length - 1] : undefined;
    if (!target) return;
    e.preventDefault();
    onSelect(target);
    refs.current.get(target)?.focus();
  };
  return (
    <nav className="tabs" role="tablist" aria-label="Console sections">
      {TABS.map((t) => (
        <button
          key={t}
          ref={(el) => {
            if (el) refs.current.set(t, el);
            else refs.current.delete(t);
          }}
          id={tabId(t)}
          type="button"
          role="tab"
          aria-selected={current === t}
          aria-controls={paneId(t)}
          tabIndex={current === t ? 0 : -1}
          className={`tab ${current === t ? "current" : ""}`}
          data-testid={`tab-${t}`}
          onClick={() => onSelect(t)}
          onKeyDown={(e) => move(e, t)}
        >
          {LABELS[t]}
        </button>
      ))}
    </nav>
  );
}

export function Header() {
  const app = useApp();
  const services = useServices();
  const actions = services.app;
  const gw = useGatewayInfo();
  const streams = useStreams();
  // A running stream waiting to reconnect lost its connection (cut, refused, or the gateway shutting
  // down), whatever the last health poll said; only a rate-limit answer means the gateway is up.
  const streamsLost = [...streams.values()].some((s) => s.running && s.status.kind === "waiting" && s.status.last.code !== "RESOURCE_EXHAUSTED");
  // Ask again at once when streams lose or regain the gateway (the store asks on its own at start).
  const lostBefore = useRef(streamsLost);
  useEffect(() => {
    if (lostBefore.current === streamsLost) return;
    lostBefore.current = streamsLost;
    void services.gatewayInfo.refresh();
  }, [streamsLost, services.gatewayInfo]);

  const gwState = gw.online === false || streamsLost ? "bad" : gw.online ? "ok" : "unknown";
  const windowMs = gw.info?.freshness_window_ms;
  const skew = gw.skewMs;
  // Past the window every request is stale; past half of it, one slow request away from it.
  const skewState = skew === undefined || windowMs === undefined ? undefined : Math.abs(skew) > windowMs ? "bad" : Math.abs(skew) > windowMs / 2 ? "warn" : "ok";
  const backend = gw.online ? gw.backend : undefined;
  const dead = app.active ? deadReason(app, app.active.deviceSessionId) : undefined;

  return (
    <header className="app-header">
      <h1 className="brand">
        <span className="logo" aria-hidden="true">
          ◈
        </span>{" "}
        Galaxy Gateway <span className="dim">console</span>
      </h1>
      <Tabs current={app.tab} onSelect={actions.setTab} />
      <div className="header-right">
        <select
          className="device-select"
          data-testid="active-device"
          aria-label="Active device"
          value={app.active?.deviceSessionId ?? ""}
          onChange={(e) => actions.setActive(e.target.value)}
          disabled={app.devices.length === 0}
        >
          {app.devices.length === 0 && <option value="">no device</option>}
          {app.devices.map((d) => {
            const why = deadReason(app, d.deviceSessionId);
            // The state first: a narrow picker cuts the end of a label, never its start.
            return (
              <option key={d.deviceSessionId} value={d.deviceSessionId}>
                {why === "revoked" ? "revoked · " : why === "reset" ? "gone (reset) · " : ""}
                {deviceLabel(d, app.devices)}
              </option>
            );
          })}
        </select>
        {dead && (
          <span className="badge bad" data-testid="active-device-state">
            {dead === "revoked" ? "revoked" : "gone after reset"}
          </span>
        )}
        <span
          className={`gw-status ${gwState}`}
          data-testid="gateway-status"
          data-state={gwState}
          title={gw.info ? `${location.host}\nkey ${gw.info.response_signing_public_key}\nfreshness window ${gw.info.freshness_window_ms} ms\nclock skew ≈ ${gw.skewMs} ms` : location.host}
        >
          {gwState === "bad" ? (gw.online === false ? "gateway offline" : "connection lost") : gw.online ? "gateway up" : "…"}
        </span>
        {backend && (
          <span
            className={`gw-status ${backend.reachable ? "ok" : "bad"}`}
            data-testid="backend-status"
            data-state={backend.reachable ? "ok" : "bad"}
            title={backend.reachable ? `${backend.backend}: answered HTTP ${backend.status} in ${backend.ms} ms` : `${backend.backend}: ${backend.message}`}
          >
            {backend.reachable ? `backend ${backend.backend === "mock" ? "mock" : "up"}` : "backend unreachable"}
          </span>
        )}
        {skew !== undefined && windowMs !== undefined && skewState !== "ok" && (
          <span className={`skew ${skewState}`} data-testid="gateway-skew" data-state={skewState} title="gateway clock − this machine's clock, against the freshness window">
            skew {skew >= 0 ? "+" : "−"}
            {seconds(Math.abs(skew))} {skewState === "bad" ? ">" : "≈"} window {seconds(windowMs)}
          </span>
        )}
      </div>
    </header>
  );
}
