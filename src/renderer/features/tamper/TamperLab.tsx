// One click per attack; each shows the exact rejection next to what PROTOCOL.md §4 expects.
import { useState } from "react";
import { DeadDeviceWarning } from "../../components/DeadDeviceWarning.js";
import { Empty, Panel } from "../../components/Panel.js";
import { RejectionView } from "../../components/RejectionView.js";
import { deadReason } from "../../state/app-store.js";
import { useApp, useGatewayInfo, useServices } from "../../state/context.js";
import { matches, TAMPER_CASES, type TamperCase, type TamperRun } from "./cases.js";

type Result = { run: TamperRun } | { error: string };

function ResultView({ c, result }: { c: TamperCase; result: Result }) {
  if ("error" in result) return <div className="bad-text small">{result.error}</div>;
  const { outcome, detail, count } = result.run;
  const m = matches(c.expected, outcome);
  const all = m.code && m.reason && m.stage;
  const got = outcome.rejection;
  const row = (k: "code" | "reason" | "stage") => (
    <tr key={k} className={m[k] ? "ok" : "bad"}>
      <td>{k}</td>
      <td className="mono">{c.expected[k]}</td>
      <td className="mono">{got?.[k] ?? (outcome.response ? `(accepted: ${outcome.response.envelope?.resultCode})` : "—")}</td>
      <td>{m[k] ? "✓" : "✗"}</td>
    </tr>
  );
  return (
    <div className="tamper-result" data-testid={`tamper-result-${c.id}`} data-match={all} data-reason={got?.reason ?? ""} data-code={got?.code ?? ""}>
      <div className={`verdict ${all ? "ok" : "bad"}`}>{all ? "✓ rejected as expected" : "✗ not the expected rejection"}</div>
      <table className="expect">
        <thead>
          <tr>
            <th scope="col">
              <span className="visually-hidden">field</span>
            </th>
            <th scope="col">expected</th>
            <th scope="col">got</th>
            <th scope="col">
              <span className="visually-hidden">as expected?</span>
            </th>
          </tr>
        </thead>
        <tbody>{(["code", "reason", "stage"] as const).map(row)}</tbody>
      </table>
      {count !== undefined && (
        <div className="small">
          requests sent: <strong data-testid="burst-count">{count}</strong>
          {got?.retryAfterMs !== undefined && (
            <>
              {" "}
              · retry_after_ms: <strong data-testid="burst-retry-after">{got.retryAfterMs}</strong>
            </>
          )}
        </div>
      )}
      <div className="dim small">{detail}</div>
      {got && (
        <details>
          <summary>full rejection</summary>
          <RejectionView rejection={got} testId={`tamper-rejection-${c.id}`} />
        </details>
      )}
    </div>
  );
}

export function TamperLab() {
  const app = useApp();
  const device = app.active;
  const { commands } = useServices();
  const info = useGatewayInfo().info;
  const [results, setResults] = useState<Record<string, Result>>({});
  const [running, setRunning] = useState<string>();

  if (!device) return <Empty>Sign in first: the lab tampers with requests of the active device.</Empty>;
  // A dead session fails every case at the session stage, which would read as a gateway fault.
  const dead = deadReason(app, device.deviceSessionId);
  const blocked = running !== undefined || dead !== undefined;

  const run = async (c: TamperCase) => {
    setRunning(c.id);
    try {
      const r = await c.run({ commands, device, ...(info ? { freshnessWindowMs: info.freshness_window_ms } : {}) });
      setResults((rs) => ({ ...rs, [c.id]: { run: r } }));
    } catch (e) {
      setResults((rs) => ({ ...rs, [c.id]: { error: String(e) } }));
    } finally {
      setRunning(undefined);
    }
  };

  return (
    <div className="stack">
      {dead && <DeadDeviceWarning reason={dead} />}
      <div className="row">
        <span className="dim small">
          Each case sends <span className="mono">user.profile.get</span> from <span className="mono">{device.email}</span>, broken in exactly one way.
        </span>
        <span className="grow" />
        <button
          type="button"
          data-testid="tamper-run-all"
          disabled={blocked}
          onClick={async () => {
            for (const c of TAMPER_CASES) await run(c);
          }}
        >
          Run all
        </button>
      </div>
      <div className="grid cards">
        {TAMPER_CASES.map((c) => {
          const result = results[c.id];
          return (
            <Panel
              key={c.id}
              title={c.title}
              testId={`tamper-card-${c.id}`}
              actions={
                <button type="button" className="primary" data-testid={`tamper-${c.id}`} disabled={blocked} onClick={() => void run(c)}>
                  {running === c.id ? "Running…" : "Run"}
                </button>
              }
            >
              <p className="dim small">{c.description}</p>
              <div className="small">
                expects{" "}
                <span className="mono">
                  {c.expected.code} {c.expected.reason}
                </span>{" "}
                at <span className="mono">{c.expected.stage}</span>
              </div>
              {result && <ResultView c={c} result={result} />}
            </Panel>
          );
        })}
      </div>
    </div>
  );
}
