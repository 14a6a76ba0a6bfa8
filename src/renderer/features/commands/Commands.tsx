// Compose a command from the routing table, sign it with the active device and send it.
import { useCallback, useEffect, useRef, useState } from "react";
import type { StoredDevice } from "../../../shared/bridge.js";
import type { RoutingTable } from "../../../shared/protocol.js";
import { CopyButton } from "../../components/CopyButton.js";
import { DeadDeviceWarning } from "../../components/DeadDeviceWarning.js";
import { checkJson, JsonEditor } from "../../components/JsonEditor.js";
import { Empty, Panel } from "../../components/Panel.js";
import type { CommandOutcome } from "../../services/commands.js";
import { describeError } from "../../services/http.js";
import { deadReason } from "../../state/app-store.js";
import { useApp, useServices } from "../../state/context.js";
import { deviceLabel } from "../../components/util.js";
import { CommandResult } from "./CommandResult.js";
import { PayloadHints } from "./PayloadHints.js";

/** The route's example, with empty id fields filled in from the signed-in devices. */
function exampleText(example: unknown, device: StoredDevice | undefined, devices: StoredDevice[]): string {
  if (example === undefined) return "{}";
  if (example && typeof example === "object" && !Array.isArray(example)) {
    const e = { ...(example as Record<string, unknown>) };
    if (e.device_session_id === "" && device) e.device_session_id = device.deviceSessionId;
    const other = devices.find((d) => d.userId !== device?.userId);
    if (e.to_user_id === "" && other) e.to_user_id = other.userId;
    return JSON.stringify(e, null, 2);
  }
  return JSON.stringify(example, null, 2);
}

export function Commands({ visible }: { visible: boolean }) {
  const app = useApp();
  const { control, commands } = useServices();
  const device = app.active;
  const [routes, setRoutes] = useState<RoutingTable>({});
  /** Message types of the mock's stub mappings that no route names (the gateway routes them to the mock). */
  const [stubbed, setStubbed] = useState<string[]>([]);
  const [routesError, setRoutesError] = useState<string>();
  const [messageType, setMessageType] = useState("");
  const [payload, setPayload] = useState("{}");
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<CommandOutcome>();
  /** Send from a dead device on purpose, to see the gateway's rejection. */
  const [anyway, setAnyway] = useState(false);
  const dead = device ? deadReason(app, device.deviceSessionId) : undefined;
  const typeRef = useRef(messageType);
  typeRef.current = messageType;
  const deviceRef = useRef(device);
  deviceRef.current = device;
  const devicesRef = useRef(app.devices);
  devicesRef.current = app.devices;

  const loadRoutes = useCallback(async () => {
    try {
      // Stubs exist on the mock backend only: with another backend the list is simply empty.
      const [config, stubs] = await Promise.all([control.getConfig(), control.listStubs().catch(() => [])]);
      setRoutes(config.routes);
      setStubbed([...new Set(stubs.map((s) => s.message_type))].filter((t) => !config.routes[t]).sort());
      setRoutesError(undefined);
      if (!typeRef.current) {
        const first = Object.keys(config.routes)[0] ?? "";
        typeRef.current = first;
        setMessageType(first);
        setPayload(exampleText(config.routes[first]?.example, deviceRef.current, devicesRef.current));
      }
    } catch (e) {
      setRoutesError(describeError(e));
    }
  }, [control]);

  useEffect(() => {
    if (visible) void loadRoutes();
  }, [visible, loadRoutes]);

  const choose = (type: string) => {
    setMessageType(type);
    setPayload(exampleText(routes[type]?.example, device, app.devices));
  };

  const check = checkJson(payload);
  const send = async () => {
    if (!device || !check.ok || (dead && !anyway)) return;
    setBusy(true);
    try {
      setOutcome(await commands.run(device, messageType.trim(), check.value));
    } finally {
      setBusy(false);
    }
  };

  const route = routes[messageType];
  return (
    <div className="stack">
      <Panel title="Command" actions={<button type="button" className="link" onClick={() => void loadRoutes()}>reload routes</button>}>
        {routesError && <div className="bad-text small">routes: {routesError}</div>}
        <div className="composer">
          <div className="form">
            <label className="field-label" htmlFor="command-type">Route</label>
            <select id="command-type" data-testid="command-type" value={routes[messageType] || stubbed.includes(messageType) ? messageType : ""} onChange={(e) => choose(e.target.value)}>
              <option value="" disabled>
                — pick a message type —
              </option>
              {Object.entries(routes).map(([type, r]) => (
                <option key={type} value={type}>
                  {type} — {r.method} /api/v1/user/{r.path}
                </option>
              ))}
              {stubbed.length > 0 && (
                <optgroup label="stubbed (Stubs & faults tab)">
                  {stubbed.map((type) => (
                    <option key={type} value={type}>
                      {type} — stub mappings
                    </option>
                  ))}
                </optgroup>
              )}
            </select>
            <label className="field-label" htmlFor="command-message-type">message_type</label>
            <input
              id="command-message-type"
              className="mono"
              data-testid="command-message-type"
              value={messageType}
              onChange={(e) => setMessageType(e.target.value)}
            />
            <div className="dim small">
              {route ? (
                <>
                  routed to <span className="mono">{route.method} /api/v1/user/{route.path}</span>
                  {route.method === "GET" && " (payload sent as the query string)"}
                </>
              ) : stubbed.includes(messageType) ? (
                "no route, but stubbed: the mock backend's stub mappings answer it"
              ) : messageType ? (
                "no route: the gateway will answer unknown_message_type"
              ) : null}
            </div>
          </div>
          <div className="form grow">
            <JsonEditor value={payload} onChange={setPayload} onSubmit={() => void send()} testId="command-payload" label="Payload (JSON · Ctrl+Enter sends)" rows={7} />
            <PayloadHints messageType={messageType} example={route?.example} payload={payload} onChange={setPayload} onExample={() => choose(messageType)} />
          </div>
        </div>
        {dead && <DeadDeviceWarning reason={dead} />}
        <div className="row end">
          {!device && <span className="dim small">Sign in first: commands are signed by the active device.</span>}
          {device && (
            <span className="dim small">
              as <span className="mono">{deviceLabel(device, app.devices)}</span> · session <span className="mono" data-testid="command-device-session-id">{device.deviceSessionId}</span>{" "}
              <CopyButton text={device.deviceSessionId} what="device_session_id" testId="copy-command-device-session-id" />
            </span>
          )}
          {dead && (
            <label className="check small">
              <input type="checkbox" data-testid="command-send-anyway" checked={anyway} onChange={(e) => setAnyway(e.target.checked)} /> send anyway, to see
              the rejection
            </label>
          )}
          <button
            type="button"
            className="primary"
            data-testid="command-send"
            disabled={!device || !check.ok || !messageType.trim() || busy || (dead !== undefined && !anyway)}
            onClick={() => void send()}
          >
            {busy ? "Sending…" : "Sign & send"}
          </button>
        </div>
      </Panel>
      {outcome ? <CommandResult outcome={outcome} /> : <Empty>The request, its signing input and the verified response appear here.</Empty>}
    </div>
  );
}
