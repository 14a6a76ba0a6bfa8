// Signed-in devices, kept by the host bridge: switch the active one, copy its ids, re-pin the gateway key, remove.
import { ConfirmButton } from "../../components/ConfirmButton.js";
import { CopyButton } from "../../components/CopyButton.js";
import { Empty, Panel } from "../../components/Panel.js";
import { deviceLabel, shortId } from "../../components/util.js";
import { useApp, useGatewayInfo, useServices } from "../../state/context.js";

export function DeviceList() {
  const app = useApp();
  const services = useServices();
  const currentKey = useGatewayInfo().info?.response_signing_public_key;

  return (
    <Panel title={`Devices (${app.devices.length})`} testId="device-list" actions={<span className="dim small">stored by the {services.bridge.host} host</span>}>
      {app.devices.length === 0 ? (
        <Empty>No device yet. Sign in above; each sign-in adds a device session.</Empty>
      ) : (
        <ul className="devices">
          {app.devices.map((d) => {
            const active = app.active?.deviceSessionId === d.deviceSessionId;
            const revoked = app.revoked.has(d.deviceSessionId);
            const stale = currentKey !== undefined && currentKey !== d.gatewayKey;
            return (
              <li
                key={d.deviceSessionId}
                className={`device ${active ? "active" : ""} ${revoked ? "revoked" : ""}`}
                data-testid="device-row"
                data-device-id={d.deviceSessionId}
                data-user-id={d.userId}
                data-active={active}
              >
                <button type="button" className="device-main" data-testid="device-activate" onClick={() => services.app.setActive(d.deviceSessionId)} title="make active">
                  <span className={`dot ${active ? "on" : ""}`} />
                  <span className="device-email">{deviceLabel(d, app.devices)}</span>
                  <span className="mono dim small">user {d.userId}</span>
                  <span className="mono dim small" title={d.deviceSessionId}>
                    session {shortId(d.deviceSessionId, 14)}
                  </span>
                </button>
                <div className="device-tags">
                  {/* Beside the row's button, not in it: a button cannot hold another. */}
                  <CopyButton text={d.userId} what="user id" label="user id" testId="device-copy-user-id" />
                  <CopyButton text={d.deviceSessionId} what="session id" label="session id" testId="device-copy-session-id" />
                  {active && <span className="tag accent">active</span>}
                  {revoked && <span className="tag bad" data-testid="device-revoked">revoked</span>}
                  {stale && (
                    <button
                      type="button"
                      className="tag warn"
                      title="The gateway key changed since sign-in: responses will fail verification. Click to pin the current key."
                      onClick={() => services.app.updateDevice(d.deviceSessionId, { gatewayKey: currentKey })}
                    >
                      key changed · re-pin
                    </button>
                  )}
                  <ConfirmButton className="small-btn" testId="device-remove" confirmLabel="remove?" onConfirm={() => services.app.removeDevice(d.deviceSessionId)}>
                    Remove
                  </ConfirmButton>
                </div>
              </li>
            );
          })}
        </ul>
      )}
    </Panel>
  );
}
