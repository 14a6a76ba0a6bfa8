import { RejectionView } from "../../components/RejectionView.js";
import { clockTime } from "../../components/util.js";
import { useTick } from "../../components/use-tick.js";
import type { StreamState } from "../../services/stream-manager.js";

export function StreamStatusView({ state }: { state: StreamState | undefined }) {
  const status = state?.status ?? { kind: "idle" as const };
  const now = useTick(status.kind === "waiting");
  let body;
  switch (status.kind) {
    case "idle":
      body = <span className="dim">Not subscribed.</span>;
      break;
    case "stopped":
      body = <span className="dim">{status.reason ? `Unsubscribed: ${status.reason}.` : "Unsubscribed."}</span>;
      break;
    case "connecting":
      body = <span>{status.attempt ? `Reconnecting (attempt ${status.attempt})…` : "Connecting…"}</span>;
      break;
    case "open":
      body = (
        <span>
          <span className="live-dot" /> Live since {clockTime(status.sinceMs)} · request_id <span className="mono small">{status.requestId}</span>
        </span>
      );
      break;
    case "waiting":
      body = (
        <span>
          <span className="warn-text">
            {status.last.reason ? `${status.last.code} ${status.last.reason}` : status.last.code === "UNKNOWN" ? "connection lost" : status.last.code}
          </span>{" "}
          — {status.last.message || "stream lost"}; reconnecting in {Math.max(0, (status.retryAtMs - now) / 1000).toFixed(1)} s (attempt{" "}
          {status.attempt}, backoff capped at 10 s)
        </span>
      );
      break;
    case "ended":
      body = (
        <div>
          <div className="bad-text">The stream ended and will not be retried:</div>
          <RejectionView rejection={status.rejection} testId="stream-rejection" />
        </div>
      );
      break;
    case "revoked":
      body = (
        <div className="revoked-banner" data-testid="stream-revoked">
          <strong>Session revoked.</strong> The gateway ended the stream with{" "}
          <span className="mono">
            {status.rejection.code} {status.rejection.reason}
          </span>
          {status.rejection.stage && <> (stage {status.rejection.stage})</>}. No reconnect: this device session is dead, sign in again.
        </div>
      );
      break;
  }
  return (
    <div className={`stream-status ${status.kind}`} data-testid="stream-status" data-kind={status.kind}>
      {body}
      {state && (state.connections > 0 || state.duplicatesDropped > 0) && (
        <div className="dim small">
          {state.connections} connection attempt{state.connections === 1 ? "" : "s"} · {state.events.length} events · {state.duplicatesDropped} duplicate
          {state.duplicatesDropped === 1 ? "" : "s"} dropped
        </div>
      )}
      {state && state.history.length > 1 && (
        <details className="stream-history">
          <summary>stream history</summary>
          <ol data-testid="stream-history">
            {state.history.map((h, i) => (
              <li key={i} className="small">
                <span className="dim mono">{clockTime(h.atMs)}</span> {h.text}
              </li>
            ))}
          </ol>
        </details>
      )}
    </div>
  );
}
