import { useId, useState } from "react";
import { toHex } from "../../../shared/bytes.js";
import { CopyButton } from "../../components/CopyButton.js";
import { Empty } from "../../components/Panel.js";
import { SigningInputView } from "../../components/SigningInputView.js";
import { clockTime } from "../../components/util.js";
import { VerifyBadge } from "../../components/VerifyBadge.js";
import { eventSegments, groupedHex } from "../../lib/segments.js";
import type { ReceivedEvent } from "../../services/stream-manager.js";

const ALL = "";

export function EventList({ events }: { events: ReceivedEvent[] }) {
  const [type, setType] = useState(ALL);
  const filterId = useId();
  if (events.length === 0) return <Empty>No events yet. Subscribe, then inject a push or send a chat.</Empty>;
  const types = [...new Set(events.map((e) => e.eventType))].sort();
  const shown = type === ALL ? events : events.filter((e) => e.eventType === type);
  return (
    <>
      <div className="row small">
        <label htmlFor={filterId} className="dim">event type</label>
        <select id={filterId} data-testid="event-type-filter" value={type} onChange={(e) => setType(e.target.value)}>
          <option value={ALL}>all types ({events.length})</option>
          {types.map((t) => (
            <option key={t} value={t}>
              {t} ({events.filter((e) => e.eventType === t).length})
            </option>
          ))}
          {type !== ALL && !types.includes(type) && <option value={type}>{type} (0)</option>}
        </select>
      </div>
      {shown.length === 0 ? (
        <Empty>No {type} events in this stream.</Empty>
      ) : (
        <ol className="events" data-testid="event-list">
          {shown.map((e) => (
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
                <span className="dim small mono" title="event_id" data-testid="event-id">
                  {e.eventId}
                </span>
                <CopyButton text={e.eventId} what="event_id" testId="copy-event-id" />
                <span className="dim small" title={`gateway timestamp_ms ${e.timestampMs}`}>
                  {clockTime(e.timestampMs)}
                </span>
              </div>
              <pre className="mono payload small">{e.payload}</pre>
              <details className="event-signature" data-testid="event-signature">
                <summary className="small">Signature and signing input</summary>
                <div className="small">
                  Signature <CopyButton text={toHex(e.signature)} what="the event signature (hex)" testId="copy-event-signature" />
                </div>
                <div className="mono hex block" data-testid="event-signature-hex">
                  {groupedHex(e.signature)}
                </div>
                {e.envelope && <SigningInputView input={eventSegments(e.envelope)} testId="event-signing-input" />}
              </details>
            </li>
          ))}
        </ol>
      )}
    </>
  );
}
