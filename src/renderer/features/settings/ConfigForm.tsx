// Live gateway settings (PATCH /emulator/v1/config); the gateway's validation errors are shown as is.
import { useCallback, useEffect, useState } from "react";
import type { EmulatorConfig } from "../../../shared/protocol.js";
import { Panel } from "../../components/Panel.js";
import { describeError } from "../../services/http.js";
import { useServices } from "../../state/context.js";

const BUCKETS = ["per_ip", "per_session", "per_user", "per_message_type"] as const;
type Bucket = (typeof BUCKETS)[number];

interface FormState {
  backend: string;
  freshness: string;
  clockOffset: string;
  budgets: Record<Bucket, { rate: string; burst: string }>;
  /** cors_origins, one per line. */
  corsOrigins: string;
}

function toForm(c: EmulatorConfig): FormState {
  return {
    backend: c.backend,
    freshness: String(c.freshness_window_ms),
    clockOffset: String(c.clock_offset_ms),
    budgets: Object.fromEntries(BUCKETS.map((b) => [b, { rate: String(c.rate_limits[b].rate_per_s), burst: String(c.rate_limits[b].burst) }])) as FormState["budgets"],
    corsOrigins: c.cors_origins.join("\n"),
  };
}

/** A number when the text is one; otherwise the text itself, for the gateway to reject with a message. */
function num(text: string): number | string {
  const t = text.trim();
  return t !== "" && Number.isFinite(Number(t)) ? Number(t) : t;
}

export function ConfigForm({ visible }: { visible: boolean }) {
  const { control, gatewayInfo } = useServices();
  const [form, setForm] = useState<FormState>();
  const [status, setStatus] = useState<{ kind: "ok" | "error"; text: string }>();

  const load = useCallback(async () => {
    try {
      setForm(toForm(await control.getConfig()));
    } catch (e) {
      setStatus({ kind: "error", text: describeError(e) });
    }
  }, [control]);
  useEffect(() => {
    if (visible) void load();
  }, [visible, load]);

  if (!form) return <Panel title="Gateway settings">{status ? <div className="bad-text">{status.text}</div> : "Loading…"}</Panel>;

  const save = async () => {
    setStatus(undefined);
    try {
      const next = await control.patchConfig({
        backend: form.backend.trim(),
        freshness_window_ms: num(form.freshness),
        clock_offset_ms: num(form.clockOffset),
        rate_limits: Object.fromEntries(BUCKETS.map((b) => [b, { rate_per_s: num(form.budgets[b].rate), burst: num(form.budgets[b].burst) }])),
        cors_origins: form.corsOrigins.split("\n").map((line) => line.trim()).filter((line) => line !== ""),
      });
      setForm(toForm(next));
      setStatus({ kind: "ok", text: "Saved: the gateway applies it from the next call." });
      void gatewayInfo.refresh();
    } catch (e) {
      setStatus({ kind: "error", text: describeError(e) });
    }
  };

  const setBudget = (b: Bucket, k: "rate" | "burst", v: string) =>
    setForm({ ...form, budgets: { ...form.budgets, [b]: { ...form.budgets[b], [k]: v } } });

  return (
    <Panel title="Gateway settings" actions={<button type="button" className="link" onClick={() => void load()}>reload</button>}>
      <form
        className="form settings"
        onSubmit={(e) => {
          e.preventDefault();
          void save();
        }}
      >
        <label className="field-label" htmlFor="settings-backend">Backend: <span className="mono">mock</span> or a base URL</label>
        <input id="settings-backend" className="mono" data-testid="settings-backend" value={form.backend} onChange={(e) => setForm({ ...form, backend: e.target.value })} />
        <div className="row">
          <div className="form grow">
            <label className="field-label" htmlFor="settings-freshness">Freshness window (ms)</label>
            <input id="settings-freshness" className="mono" data-testid="settings-freshness" value={form.freshness} onChange={(e) => setForm({ ...form, freshness: e.target.value })} />
          </div>
          <div className="form grow">
            <label className="field-label" htmlFor="settings-clock-offset">Gateway clock offset (ms)</label>
            <input id="settings-clock-offset" className="mono" data-testid="settings-clock-offset" value={form.clockOffset} onChange={(e) => setForm({ ...form, clockOffset: e.target.value })} />
          </div>
        </div>
        <table className="budgets">
          <thead>
            <tr>
              <th>rate-limit bucket</th>
              <th>tokens / s</th>
              <th>burst</th>
            </tr>
          </thead>
          <tbody>
            {BUCKETS.map((b) => (
              <tr key={b}>
                <td className="mono">{b}</td>
                <td>
                  <input className="mono" data-testid={`settings-${b}-rate`} value={form.budgets[b].rate} onChange={(e) => setBudget(b, "rate", e.target.value)} />
                </td>
                <td>
                  <input className="mono" data-testid={`settings-${b}-burst`} value={form.budgets[b].burst} onChange={(e) => setBudget(b, "burst", e.target.value)} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        <label className="field-label" htmlFor="settings-cors-origins">
          Web origins that may call the public surface (CORS), one per line: <span className="mono">https://game.example</span> or{" "}
          <span className="mono">http://localhost:*</span> (any port); none: no web page on another origin may call it
        </label>
        <textarea
          id="settings-cors-origins"
          className="mono"
          rows={4}
          spellCheck={false}
          data-testid="settings-cors-origins"
          value={form.corsOrigins}
          onChange={(e) => setForm({ ...form, corsOrigins: e.target.value })}
        />
        <div className="row end">
          {status && (
            <span className={`status-inline ${status.kind === "ok" ? "ok-text" : "bad-text"}`} data-testid="settings-status" data-kind={status.kind}>
              {status.text}
            </span>
          )}
          <button type="submit" className="primary" data-testid="settings-save">
            Save
          </button>
        </div>
      </form>
    </Panel>
  );
}
