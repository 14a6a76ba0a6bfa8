// The side forms of the Events tab: inject a backend push, chat to another user, revoke a session.
import { useState } from "react";
import type { StoredDevice } from "../../../shared/bridge.js";
import { checkJson, JsonEditor } from "../../components/JsonEditor.js";
import { ConfirmButton } from "../../components/ConfirmButton.js";
import { Panel } from "../../components/Panel.js";
import { RejectionView } from "../../components/RejectionView.js";
import { deviceLabel } from "../../components/util.js";
import { VerifyBadge } from "../../components/VerifyBadge.js";
import type { CommandOutcome } from "../../services/commands.js";
import { describeError } from "../../services/http.js";
import { deadReason } from "../../state/app-store.js";
import { useApp, useServices } from "../../state/context.js";

function OutcomeLine({ outcome, testId }: { outcome: CommandOutcome; testId: string }) {
  if (outcome.rejection) return <RejectionView rejection={outcome.rejection} testId={`${testId}-rejection`} />;
  const code = outcome.response?.envelope?.resultCode ?? "?";
  return (
    <div className="row" data-testid={testId} data-result-code={code}>
      <span className={`result-code ${code === "ok" ? "ok" : "warn"}`}>{code}</span>
      {outcome.verification && <VerifyBadge verification={outcome.verification} />}
    </div>
  );
}

export function PushForm({ device }: { device: StoredDevice }) {
  const { control } = useServices();
  const [eventType, setEventType] = useState("game.notice");
  const [payload, setPayload] = useState('{\n  "text": "Fleet inbound"\n}');
  const [onlySession, setOnlySession] = useState(false);
  const [result, setResult] = useState<{ ok: boolean; text: string }>();
  const check = checkJson(payload);
  const send = async () => {
    if (!check.ok) return;
    try {
      const r = await control.injectPush({
        client_event: {
          user_id: device.userId,
          ...(onlySession ? { device_session_id: device.deviceSessionId } : {}),
          event_type: eventType.trim(),
          payload: check.value ?? {},
        },
      });
      setResult({ ok: true, text: `injected event_id ${r.event_id}` });
    } catch (e) {
      setResult({ ok: false, text: describeError(e) });
    }
  };
  return (
    <Panel title="Inject a backend push">
      <div className="form">
        <label className="field-label" htmlFor="push-event-type">event_type</label>
        <input id="push-event-type" className="mono" data-testid="push-event-type" value={eventType} onChange={(e) => setEventType(e.target.value)} />
        <JsonEditor value={payload} onChange={setPayload} testId="push-payload" rows={4} label="payload" />
        <label className="check">
          <input type="checkbox" checked={onlySession} onChange={(e) => setOnlySession(e.target.checked)} /> only this device session (else all of
          user {device.userId}'s sessions)
        </label>
        <div className="row end">
          {result && (
            <span className={`small ${result.ok ? "ok-text" : "bad-text"}`} data-testid="push-result">
              {result.text}
            </span>
          )}
          <button type="button" data-testid="push-send" disabled={!check.ok || !eventType.trim()} onClick={() => void send()}>
            Inject push
          </button>
        </div>
      </div>
    </Panel>
  );
}

export function ChatForm({ device }: { device: StoredDevice }) {
  const app = useApp();
  const { commands } = useServices();
  // Users with a live session here: a revoked or reset one's user may no longer exist (not_found).
  const live = app.devices.filter((d) => d.userId !== device.userId && deadReason(app, d.deviceSessionId) === undefined);
  const others = [...new Map(live.map((d) => [d.userId, d])).values()];
  const dead = deadReason(app, device.deviceSessionId) !== undefined;
  const [to, setTo] = useState("");
  const [text, setText] = useState("o7 commander");
  const [outcome, setOutcome] = useState<CommandOutcome>();
  const target = others.some((d) => d.userId === to) ? to : (others[0]?.userId ?? "");
  return (
    <Panel title="Send a chat">
      <div className="form">
        <label className="field-label" htmlFor="chat-to">to another signed-in user</label>
        <select id="chat-to" data-testid="chat-to" value={target} onChange={(e) => setTo(e.target.value)} disabled={others.length === 0}>
          {others.length === 0 && <option value="">— sign in a second user first (a live session) —</option>}
          {others.map((d) => (
            <option key={d.userId} value={d.userId}>
              {d.userId} ({d.email})
            </option>
          ))}
        </select>
        <label className="field-label" htmlFor="chat-text">text</label>
        <input id="chat-text" data-testid="chat-text" value={text} onChange={(e) => setText(e.target.value)} />
        <div className="row end">
          <span className="dim small">game.chat.send from {device.email}</span>
          <button
            type="button"
            data-testid="chat-send"
            disabled={!target || dead}
            onClick={async () => setOutcome(await commands.run(device, "game.chat.send", { to_user_id: target, text }))}
          >
            Send chat
          </button>
        </div>
        {outcome && <OutcomeLine outcome={outcome} testId="chat-result" />}
      </div>
    </Panel>
  );
}

export function RevokeForm({ device }: { device: StoredDevice }) {
  const app = useApp();
  const { commands, app: appStore } = useServices();
  const dead = deadReason(app, device.deviceSessionId) !== undefined;
  const mine = app.devices.filter((d) => d.userId === device.userId);
  const [target, setTarget] = useState<string>(device.deviceSessionId);
  const [outcome, setOutcome] = useState<CommandOutcome>();
  const chosen = target === "" || mine.some((d) => d.deviceSessionId === target) ? target : device.deviceSessionId;
  return (
    <Panel title="Revoke a session">
      <div className="form">
        <label className="field-label" htmlFor="revoke-target">session of user {device.userId}</label>
        <select id="revoke-target" data-testid="revoke-target" value={chosen} onChange={(e) => setTarget(e.target.value)}>
          {mine.map((d) => (
            <option key={d.deviceSessionId} value={d.deviceSessionId}>
              {deviceLabel(d, app.devices)}
              {d.deviceSessionId === device.deviceSessionId ? " (this device)" : ""}
              {deadReason(app, d.deviceSessionId) === "revoked" ? " (revoked)" : ""}
            </option>
          ))}
          <option value="">all of this user's sessions</option>
        </select>
        <div className="row end">
          <span className="dim small">user.sessions.revoke from the active device</span>
          <ConfirmButton
            className="danger-outline"
            testId="revoke-send"
            confirmLabel={chosen === device.deviceSessionId ? "Revoke this device?" : chosen ? "Revoke it?" : "Revoke them all?"}
            disabled={dead}
            onConfirm={async () => {
              const result = await commands.run(device, "user.sessions.revoke", chosen ? { device_session_id: chosen } : {});
              setOutcome(result);
              for (const id of revokedIds(result)) appStore.markRevoked(id);
            }}
          >
            Revoke
          </ConfirmButton>
        </div>
        {outcome && <OutcomeLine outcome={outcome} testId="revoke-result" />}
      </div>
    </Panel>
  );
}

/** The sessions a verified `user.sessions.revoke` answer says it revoked (`{"revoked":[…]}`). */
function revokedIds(outcome: CommandOutcome): string[] {
  if (!outcome.verification?.ok || outcome.response?.envelope?.resultCode !== "ok") return [];
  try {
    const body: unknown = JSON.parse(new TextDecoder().decode(outcome.response.payloadBytes));
    const ids = (body as { revoked?: unknown }).revoked;
    return Array.isArray(ids) ? ids.filter((x): x is string => typeof x === "string") : [];
  } catch {
    return [];
  }
}
