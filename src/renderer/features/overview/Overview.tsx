// The console's home (like the Firebase Emulator UI's): the gateway, its backend and its push stream
// as the gateway measures them right now (GET /emulator/v1/status), the clock skew against the
// freshness window, the key to pin, counts, and what to paste to connect a client of your own.
import { useCallback, useState } from "react";
import type { EmulatorStatus } from "../../../shared/protocol.js";
import { CopyButton } from "../../components/CopyButton.js";
import { Panel } from "../../components/Panel.js";
import { clockTime } from "../../components/util.js";
import { describeError } from "../../services/http.js";
import { useApp, useServices, useStreams } from "../../state/context.js";
import { RecordingPanel } from "./RecordingPanel.js";
import { clientSnippets } from "./snippets.js";
import { usePoll } from "../../components/use-poll.js";

/** Every 3 s while the tab is open: a stopped backend shows within seconds, at one small call each. */
const REFRESH_MS = 3_000;
const UNKNOWN_WHILE_DOWN = "unknown while the gateway does not answer";

interface Measured {
  status?: EmulatorStatus;
  error?: string;
  /** Round trip of the status call: the gateway answering, as measured from here. */
  rttMs?: number;
  /** Gateway clock − local clock at the middle of the round trip. */
  skewMs?: number;
  atMs: number;
}

type Health = "ok" | "warn" | "bad";

function Light({ health, label, detail, testId }: { health: Health; label: string; detail: string; testId: string }) {
  return (
    <div className={`health-card ${health}`} data-testid={testId} data-health={health}>
      <div className="health-label">
        <span className="health-dot" aria-hidden>●</span> {label}
      </div>
      <div className="small">{detail}</div>
    </div>
  );
}

/** Skew within a tenth of the window is harmless; past half, requests start failing as stale_request. */
function skewHealth(skewMs: number, windowMs: number): Health {
  const abs = Math.abs(skewMs);
  if (abs >= windowMs / 2) return "bad";
  return abs >= windowMs / 10 ? "warn" : "ok";
}

/** "+1.2 s", "−0.3 s"; under 50 ms (about a local round trip) it is noise: "≈ 0 s". */
function formatSkew(skewMs: number): string {
  if (Math.abs(skewMs) < 50) return "≈ 0 s";
  return `${skewMs > 0 ? "+" : "−"}${Math.abs(skewMs / 1000).toFixed(1)} s`;
}

export function Overview({ visible }: { visible: boolean }) {
  const { control, gatewayInfo } = useServices();
  const app = useApp();
  const streams = useStreams();
  const [m, setM] = useState<Measured>();

  const measure = useCallback(
    async (signal?: AbortSignal) => {
      const sent = Date.now();
      const started = performance.now();
      try {
        const status = await control.getStatus(signal);
        const rttMs = performance.now() - started;
        // One probe, one story: the header's backend light shows what this panel shows.
        gatewayInfo.observeStatus(status);
        setM({ status, rttMs, skewMs: status.server_time_ms - (sent + rttMs / 2), atMs: Date.now() });
      } catch (e) {
        if (!signal?.aborted) setM((prev) => ({ ...(prev?.status ? { status: prev.status } : {}), error: describeError(e), atMs: Date.now() }));
      }
    },
    [control, gatewayInfo],
  );

  usePoll(visible, REFRESH_MS, measure);

  const s = m?.status;
  const gatewayUp = m !== undefined && m.error === undefined;
  /** The status as the gateway answered it just now; undefined while it does not answer (the backend and push lights then say so). */
  const live = gatewayUp ? s : undefined;
  const backendName = s?.backend === "mock" ? "mock backend" : s?.backend;
  const origin = location.origin;
  const snippets = s ? clientSnippets(origin, s.response_signing_public_key) : [];
  const active = app.active;

  return (
    <div className="stack" data-testid="overview">
      <Panel
        title="Health, as measured"
        actions={
          <>
            <span className="dim small" data-testid="overview-checked">{m ? `checked ${clockTime(m.atMs)}` : "checking…"}</span>
            <button type="button" className="link" onClick={() => void measure()}>
              check now
            </button>
          </>
        }
      >
        <div className="health-grid">
          <Light
            testId="health-gateway"
            health={m === undefined ? "warn" : gatewayUp ? "ok" : "bad"}
            label="Gateway"
            detail={m === undefined ? "asking…" : gatewayUp ? `${origin} answered the status check in ${m.rttMs!.toFixed(0)} ms` : `not answering: ${m.error}`}
          />
          <Light
            testId="health-backend"
            health={!live ? "warn" : live.backend_health.reachable ? "ok" : "bad"}
            label="Backend"
            detail={
              !live
                ? UNKNOWN_WHILE_DOWN
                : live.backend_health.reachable
                  ? `${backendName} answered its health check (HTTP ${live.backend_health.http_status}) in ${live.backend_health.latency_ms} ms`
                  : `${backendName} unreachable: ${live.backend_health.error}`
            }
          />
          <Light
            testId="health-push"
            health={!live ? "warn" : live.push_stream.connected ? "ok" : "bad"}
            label="Push stream"
            detail={
              !live
                ? UNKNOWN_WHILE_DOWN
                : live.push_stream.connected
                  ? `connected to the backend since ${clockTime(live.push_stream.since_ms)}`
                  : `down since ${clockTime(live.push_stream.since_ms)}${live.push_stream.last_error ? `: ${live.push_stream.last_error}` : ""} — events and revocations do not arrive`
            }
          />
          <Light
            testId="health-clock"
            health={s && m?.skewMs !== undefined ? skewHealth(m.skewMs, s.freshness_window_ms) : "warn"}
            label="Clock skew"
            detail={
              s && m?.skewMs !== undefined
                ? `gateway clock ${formatSkew(m.skewMs)} vs this machine; freshness window ±${s.freshness_window_ms / 1000} s${
                    skewHealth(m.skewMs, s.freshness_window_ms) === "bad" ? " — requests signed here risk stale_request" : ""
                  }`
                : "unknown"
            }
          />
        </div>
      </Panel>
      <RecordingPanel visible={visible} />
      <div className="grid two">
        <Panel title="Gateway key to pin">
          {s ? (
            <>
              <div className="mono hex block" data-testid="overview-key">{s.response_signing_public_key}</div>
              <div className="row small">
                <CopyButton text={s.response_signing_public_key} what="the gateway's response-signing key" testId="overview-key-copy" />
                <span className="dim">Ed25519, base64url; it signs every response and event.</span>
                {active && active.gatewayKey !== s.response_signing_public_key && (
                  <span className="warn-text">the active device pins a different key (rotated since it signed in)</span>
                )}
              </div>
            </>
          ) : (
            <span className="dim">…</span>
          )}
        </Panel>
        <Panel title="Counts">
          <dl className="kv" data-testid="overview-counts">
            {[
              ["users (backend)", s?.backend_health.users],
              ["active sessions (backend)", s?.backend_health.sessions],
              ["devices in this console", app.devices.length],
              ["event streams open (gateway)", s?.open_event_streams],
              ["events received in this console", [...streams.values()].reduce((n, st) => n + st.events.length, 0)],
              ["commands in the journal", s?.journal.commands],
              ["subscriptions in the journal", s?.journal.subscriptions],
            ].map(([k, v]) => (
              <div className="kv-row" key={String(k)}>
                <dt>{k}</dt>
                <dd data-testid={`count-${String(k).split(" ")[0]}`}>{v === undefined ? "—" : String(v)}</dd>
              </div>
            ))}
          </dl>
        </Panel>
      </div>
      <Panel title="Connect your own client">
        {snippets.map((sn) => (
          <div key={sn.title} className="snippet" data-testid="overview-snippet" data-kind={sn.kind}>
            <div className="row">
              <h3>{sn.title}</h3>
              <CopyButton text={sn.text} what={sn.title} />
            </div>
            <pre className="mono small">{sn.text}</pre>
          </div>
        ))}
      </Panel>
    </div>
  );
}
