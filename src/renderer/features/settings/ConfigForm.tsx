// Live gateway settings (PATCH /emulator/v1/config). The gateway validates; each setting it refuses is
// marked on its own field with the gateway's rule, and every field shows its valid range up front.
import { useCallback, useEffect, useState, type InputHTMLAttributes } from "react";
import { BURST, CLOCK_OFFSET_MS, FRESHNESS_WINDOW_MS } from "../../../shared/config-limits.js";
import type { EmulatorConfig } from "../../../shared/protocol.js";
import { Panel } from "../../components/Panel.js";
import { describeError, HttpError } from "../../services/http.js";
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

/** Field keys: `settings-<key>` is the input's test id, `settings-<key>-error` its message. */
type FieldErrors = Partial<Record<string, string>>;

/** The form field of a setting as the gateway names it (`rate_limits.per_ip.burst` → `per_ip-burst`). */
export function fieldOf(setting: string): string {
  if (setting === "backend") return "backend";
  if (setting === "freshness_window_ms") return "freshness";
  if (setting === "clock_offset_ms") return "clock-offset";
  if (setting.startsWith("cors_origins")) return "cors-origins";
  const budget = /^rate_limits\.(per_[a-z_]+)(?:\.(rate_per_s|burst))?$/.exec(setting);
  if (budget) return `${budget[1]}-${budget[2] === "burst" ? "burst" : "rate"}`;
  return "form";
}

/** A text input with its range hint and, when the gateway refused it, its error (both announced). */
function Field(props: { field: string; errors: FieldErrors; hint?: string } & InputHTMLAttributes<HTMLInputElement>) {
  const { field, errors, hint, className, ...input } = props;
  const error = errors[field];
  const described = [hint ? `settings-${field}-hint` : "", error ? `settings-${field}-error` : ""].filter(Boolean).join(" ");
  return (
    <>
      <input
        id={`settings-${field}`}
        className={`mono ${className ?? ""} ${error ? "invalid" : ""}`}
        data-testid={`settings-${field}`}
        aria-invalid={error ? true : undefined}
        aria-describedby={described || undefined}
        {...input}
      />
      {hint && (
        <span className="field-hint" id={`settings-${field}-hint`} data-testid={`settings-${field}-hint`}>
          {hint}
        </span>
      )}
      {error && (
        <span className="field-error" id={`settings-${field}-error`} data-testid={`settings-${field}-error`}>
          {error}
        </span>
      )}
    </>
  );
}

/** A number when the text is one; otherwise the text itself, for the gateway to reject with a message. */
function num(text: string): number | string {
  const t = text.trim();
  return t !== "" && Number.isFinite(Number(t)) ? Number(t) : t;
}

export function ConfigForm({ visible }: { visible: boolean }) {
  const { control, gatewayInfo } = useServices();
  const [form, setForm] = useState<FormState>();
  const [status, setStatus] = useState<{ kind: "ok" | "warn" | "error"; text: string }>();
  const [errors, setErrors] = useState<FieldErrors>({});

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
    setErrors({});
    try {
      const next = await control.patchConfig({
        backend: form.backend.trim(),
        freshness_window_ms: num(form.freshness),
        clock_offset_ms: num(form.clockOffset),
        rate_limits: Object.fromEntries(BUCKETS.map((b) => [b, { rate_per_s: num(form.budgets[b].rate), burst: num(form.budgets[b].burst) }])),
        cors_origins: form.corsOrigins.split("\n").map((line) => line.trim()).filter((line) => line !== ""),
      });
      setForm(toForm(next));
      await gatewayInfo.refresh();
      // A URL is valid the moment it parses; whether anything answers there is another matter.
      const backend = gatewayInfo.getSnapshot().backend;
      if (backend && !backend.reachable && backend.backend === next.backend) {
        setErrors({ backend: `Saved, but ${backend.backend} is ${backend.message ?? "not reachable"}: every routed call will fail with backend_unavailable.` });
        setStatus({ kind: "warn", text: "Saved, with a warning: see the backend field." });
      } else {
        setStatus({ kind: "ok", text: "Saved: the gateway applies it from the next call." });
      }
    } catch (e) {
      if (e instanceof HttpError && e.issues.length > 0) {
        const marked: FieldErrors = {};
        for (const issue of e.issues) {
          const field = fieldOf(issue.setting);
          marked[field] = marked[field] ? `${marked[field]}; ${issue.message}` : `${issue.setting}: ${issue.message}`;
        }
        setErrors(marked);
        setStatus({ kind: "error", text: `Not saved: ${e.issues.map((i) => i.setting).join(", ")} — see the marked field${e.issues.length > 1 ? "s" : ""}.` });
      } else {
        setStatus({ kind: "error", text: describeError(e) });
      }
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
        <Field field="backend" errors={errors} value={form.backend} onChange={(e) => setForm({ ...form, backend: e.target.value })} />
        <div className="row">
          <div className="form grow">
            <label className="field-label" htmlFor="settings-freshness">Freshness window (ms)</label>
            <Field
              field="freshness"
              errors={errors}
              inputMode="numeric"
              hint={`${FRESHNESS_WINDOW_MS.min}..${FRESHNESS_WINDOW_MS.max} (up to 24 h)`}
              value={form.freshness}
              onChange={(e) => setForm({ ...form, freshness: e.target.value })}
            />
          </div>
          <div className="form grow">
            <label className="field-label" htmlFor="settings-clock-offset">Gateway clock offset (ms)</label>
            <Field
              field="clock-offset"
              errors={errors}
              inputMode="numeric"
              hint={`${CLOCK_OFFSET_MS.min}..${CLOCK_OFFSET_MS.max} (a year either way)`}
              value={form.clockOffset}
              onChange={(e) => setForm({ ...form, clockOffset: e.target.value })}
            />
          </div>
        </div>
        <table className="budgets">
          <thead>
            <tr>
              <th scope="col">rate-limit bucket</th>
              <th scope="col">
                tokens / s <span className="field-hint">(&gt; 0, ≤ 1e9)</span>
              </th>
              <th scope="col">
                burst <span className="field-hint">({BURST.min}..1e9, whole)</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {BUCKETS.map((b) => (
              <tr key={b}>
                <td className="mono">{b}</td>
                <td>
                  <Field field={`${b}-rate`} errors={errors} aria-label={`${b} tokens per second`} value={form.budgets[b].rate} onChange={(e) => setBudget(b, "rate", e.target.value)} />
                </td>
                <td>
                  <Field field={`${b}-burst`} errors={errors} aria-label={`${b} burst`} value={form.budgets[b].burst} onChange={(e) => setBudget(b, "burst", e.target.value)} />
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
          className={`mono ${errors["cors-origins"] ? "invalid" : ""}`}
          aria-invalid={errors["cors-origins"] ? true : undefined}
          aria-describedby={errors["cors-origins"] ? "settings-cors-origins-error" : undefined}
          rows={4}
          spellCheck={false}
          data-testid="settings-cors-origins"
          value={form.corsOrigins}
          onChange={(e) => setForm({ ...form, corsOrigins: e.target.value })}
        />
        {errors["cors-origins"] && (
          <span className="field-error" id="settings-cors-origins-error" data-testid="settings-cors-origins-error">
            {errors["cors-origins"]}
          </span>
        )}
        {errors.form && <span className="field-error">{errors.form}</span>}
        <div className="row end">
          {status && (
            <span
              className={`status-inline ${status.kind === "ok" ? "ok-text" : status.kind === "warn" ? "warn-text" : "bad-text"}`}
              role="status"
              data-testid="settings-status"
              data-kind={status.kind}
            >
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
