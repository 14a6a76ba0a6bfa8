import { TABS, type Tab } from "../state/app-store.js";
import { useApp, useGatewayInfo, useServices } from "../state/context.js";
import { shortId } from "./util.js";

const LABELS: Record<Tab, string> = {
  overview: "Overview",
  signin: "Sign in",
  commands: "Commands",
  history: "History",
  events: "Events",
  inspector: "Inspector",
  tamper: "Tamper lab",
  settings: "Settings",
};

export function Header() {
  const app = useApp();
  const actions = useServices().app;
  const gw = useGatewayInfo();
  return (
    <header className="app-header">
      <div className="brand">
        <span className="logo">◈</span> Galaxy Gateway <span className="dim">console</span>
      </div>
      <nav className="tabs" role="tablist">
        {TABS.map((t) => (
          <button
            key={t}
            type="button"
            role="tab"
            aria-selected={app.tab === t}
            className={`tab ${app.tab === t ? "current" : ""}`}
            data-testid={`tab-${t}`}
            onClick={() => actions.setTab(t)}
          >
            {LABELS[t]}
          </button>
        ))}
      </nav>
      <div className="header-right">
        <select
          className="device-select"
          data-testid="active-device"
          value={app.active?.deviceSessionId ?? ""}
          onChange={(e) => actions.setActive(e.target.value)}
          disabled={app.devices.length === 0}
          title="active device"
        >
          {app.devices.length === 0 && <option value="">no device</option>}
          {app.devices.map((d) => (
            <option key={d.deviceSessionId} value={d.deviceSessionId}>
              {d.email} · {shortId(d.deviceSessionId, 8)}
              {app.revoked.has(d.deviceSessionId) ? " (revoked)" : ""}
            </option>
          ))}
        </select>
        <span
          className={`gw-status ${gw.online === false ? "bad" : gw.online ? "ok" : ""}`}
          data-testid="gateway-status"
          title={gw.info ? `key ${gw.info.response_signing_public_key}\nfreshness window ${gw.info.freshness_window_ms} ms\nclock skew ≈ ${gw.skewMs} ms` : ""}
        >
          {gw.online === false ? "gateway offline" : gw.online ? `gateway ${location.host}` : "…"}
        </span>
      </div>
    </header>
  );
}
