import { Empty } from "../../components/Panel.js";
import { clockTime } from "../../components/util.js";
import { VerifyBadge } from "../../components/VerifyBadge.js";
import type { ReceivedEvent } from "../../services/stream-manager.js";

export function EventList({ events }: { events: ReceivedEvent[] }) {
  if (events.length === 0) return <Empty>No events yet. Subscribe, then inject a push or send a chat.</Empty>;
  return (
    <ol className="events" data-testid="event-list">
      {events.map((e) => (
        <li
          key={e.key}
          className={`event ${e.verification.ok ? "" : "unverified"}`}
          data-testid="event"
          data-event-type={e.eventType}
          data-event-id={e.eventId}
          data-verified={e.verification.ok}
        >
          <div className="event-head">
            <span className="event-type mono">{e.eventType}</span>
            <VerifyBadge verification={e.verification} testId="event-verification" />
            <span className="grow" />
            <span className="dim small mono" title="event_id">
              {e.eventId}
            </span>
            <span className="dim small" title={`gateway timestamp_ms ${e.timestampMs}`}>
              {clockTime(e.timestampMs)}
            </span>
          </div>
          <pre className="mono payload small">{e.payload}</pre>
        </li>
      ))}
    </ol>
  );
}
