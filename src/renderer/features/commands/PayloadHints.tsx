// Help for the payload of a known route: its fields (type, required, the backend's limits), what the
// payload lacks or carries unknown, and an "add field" box that autocompletes the route's keys.
import { useId, useState } from "react";
import { checkJson } from "../../components/JsonEditor.js";
import { checkFields, fieldsOf, withField } from "../../lib/payload-hints.js";

export function PayloadHints(props: { messageType: string; example: unknown; payload: string; onChange(text: string): void; onExample(): void }) {
  const fields = fieldsOf(props.messageType, props.example);
  const [key, setKey] = useState("");
  const listId = useId();
  const inputId = useId();
  const check = checkJson(props.payload);
  const { missing, unknown } = check.ok ? checkFields(fields, check.value) : { missing: [], unknown: [] };
  const add = () => {
    const field = fields.find((f) => f.name === key.trim());
    if (!field) return;
    props.onChange(withField(props.payload, field));
    setKey("");
  };
  return (
    <div className="payload-hints small" data-testid="payload-hints">
      {fields.length === 0 ? (
        <div className="dim">This route takes no payload fields.</div>
      ) : (
        <ul className="field-hints">
          {fields.map((f) => (
            <li key={f.name} data-testid="field-hint" data-field={f.name}>
              <span className="mono">{f.name}</span> <span className="dim">{f.type}{f.required ? ", required" : ", optional"}</span> — {f.hint}
            </li>
          ))}
        </ul>
      )}
      {missing.length > 0 && <div className="bad-text" data-testid="payload-missing">missing: {missing.join(", ")}</div>}
      {unknown.length > 0 && <div className="warn-text" data-testid="payload-unknown">not a field of this route: {unknown.join(", ")}</div>}
      <div className="row">
        {fields.length > 0 && (
          <>
            <label htmlFor={inputId} className="dim">add field</label>
            <input
              id={inputId}
              className="mono field-key"
              list={listId}
              value={key}
              data-testid="payload-add-key"
              placeholder="key…"
              onChange={(e) => setKey(e.target.value)}
              onKeyDown={(e) => {
                if (e.key === "Enter") {
                  e.preventDefault();
                  add();
                }
              }}
            />
            <datalist id={listId}>
              {fields.map((f) => (
                <option key={f.name} value={f.name}>
                  {f.hint}
                </option>
              ))}
            </datalist>
            <button type="button" className="link" data-testid="payload-add" disabled={!fields.some((f) => f.name === key.trim())} onClick={add}>
              add
            </button>
          </>
        )}
        <button type="button" className="link" data-testid="payload-example" onClick={props.onExample}>
          example payload
        </button>
      </div>
    </div>
  );
}
