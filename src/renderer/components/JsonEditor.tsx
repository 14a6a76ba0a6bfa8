// A plain textarea JSON editor with live validation (the payload must be a JSON object, or empty).
import { useId } from "react";

export type JsonCheck = { ok: true; value: unknown } | { ok: false; error: string };

export function checkJson(text: string, { allowEmpty = true, objectOnly = true } = {}): JsonCheck {
  if (text.trim() === "") return allowEmpty ? { ok: true, value: undefined } : { ok: false, error: "empty" };
  try {
    const value: unknown = JSON.parse(text);
    if (objectOnly && (typeof value !== "object" || value === null || Array.isArray(value))) {
      return { ok: false, error: "the payload must be a JSON object" };
    }
    return { ok: true, value };
  } catch (e) {
    return { ok: false, error: (e as Error).message };
  }
}

export function JsonEditor(props: {
  value: string;
  onChange(text: string): void;
  testId: string;
  rows?: number;
  label?: string;
  allowEmpty?: boolean;
  /** Refuse anything but a JSON object (a command payload); false accepts any JSON value. Default true. */
  objectOnly?: boolean;
  /** Ctrl/⌘+Enter. */
  onSubmit?(): void;
}) {
  const check = checkJson(props.value, { allowEmpty: props.allowEmpty ?? true, objectOnly: props.objectOnly ?? true });
  const id = useId();
  return (
    <div className="json-editor">
      {props.label && (
        <label className="field-label" htmlFor={id}>
          {props.label}
        </label>
      )}
      <textarea
        id={id}
        aria-label={props.label ? undefined : "JSON payload"}
        className={`mono ${check.ok ? "" : "invalid"}`}
        value={props.value}
        rows={props.rows ?? 8}
        spellCheck={false}
        data-testid={props.testId}
        aria-invalid={!check.ok}
        onChange={(e) => props.onChange(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === "Enter" && (e.ctrlKey || e.metaKey) && props.onSubmit) {
            e.preventDefault();
            props.onSubmit();
          }
        }}
      />
      <div className="json-status small">
        {check.ok ? (
          <span className="ok-text">valid JSON{check.value === undefined ? " (empty payload)" : ""}</span>
        ) : (
          <span className="bad-text" data-testid={`${props.testId}-error`}>
            {check.error}
          </span>
        )}
        {check.ok && check.value !== undefined && (
          <button type="button" className="link" onClick={() => props.onChange(JSON.stringify(check.value, null, 2))}>
            format
          </button>
        )}
      </div>
    </div>
  );
}
