// Live signed events of the active device, with push injection, chat and revocation beside them.
import { DeadDeviceWarning } from "../../components/DeadDeviceWarning.js";
import { Empty, Panel } from "../../components/Panel.js";
import { deviceLabel, shortId } from "../../components/util.js";
import { deadReason } from "../../state/app-store.js";
import { useApp, useServices, useStreams } from "../../state/context.js";
import { ChatForm, PushForm, RevokeForm } from "./Actions.js";
import { EventList } from "./EventList.js";
import { StreamStatusView } from "./StreamStatusView.js";

export function Events() {
  const app = useApp();
  const services = useServices();
  const streams = useStreams();
  const device = app.active;
  if (!device) return <Empty>Sign in first: events are subscribed per device session.</Empty>;
  const state = streams.get(device.deviceSessionId);
  // A stream that ended for good reads as not subscribed, whatever its loop is still finishing.
  const ended = state?.status.kind === "revoked" || state?.status.kind === "ended" || state?.status.kind === "stopped";
  const running = (state?.running ?? false) && !ended;
  const dead = deadReason(app, device.deviceSessionId);
  const others = [...streams.values()].filter((s) => s.deviceSessionId !== device.deviceSessionId && s.running);

  return (
    <div className="grid events-layout">
      <Panel
        title={
          <>
            Events for <span className="mono">{device.email}</span>
          </>
        }
        actions={
          <>
            {running ? (
              <button type="button" data-testid="events-unsubscribe" onClick={() => services.streams.stop(device.deviceSessionId)}>
                Unsubscribe
              </button>
            ) : (
              <button
                type="button"
                className="primary"
                data-testid="events-subscribe"
                disabled={dead !== undefined}
                onClick={() => services.streams.start(device, services.app.markRevoked)}
              >
                Subscribe
              </button>
            )}
            <button type="button" className="link" onClick={() => services.streams.clear(device.deviceSessionId)}>
              clear
            </button>
          </>
        }
      >
        {dead && <DeadDeviceWarning reason={dead} />}
        <StreamStatusView state={state} />
        {others.length > 0 && (
          <div className="other-streams small">
            Also subscribed:{" "}
            {others.map((s) => {
              const d = app.devices.find((x) => x.deviceSessionId === s.deviceSessionId);
              return (
                <button key={s.deviceSessionId} type="button" className="tag" onClick={() => services.app.setActive(s.deviceSessionId)}>
                  {d ? deviceLabel(d, app.devices) : shortId(s.deviceSessionId)} · {s.events.length}
                </button>
              );
            })}
          </div>
        )}
        <EventList events={state?.events ?? []} />
      </Panel>
      <div className="stack">
        <PushForm key={`p-${device.deviceSessionId}`} device={device} />
        <ChatForm key={`c-${device.deviceSessionId}`} device={device} />
        <RevokeForm key={`r-${device.deviceSessionId}`} device={device} />
      </div>
    </div>
  );
}
