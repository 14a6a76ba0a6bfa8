// Create or edit a stub mapping: the JSON in the shared editor (checked as you type), saved with POST
// /emulator/v1/stubs. Saving an id that exists replaces that mapping, which is how edit works; the
// mock's refusal is shown with the JSON path of the first problem.
import { useEffect, useState } from "react";
import { checkJson, JsonEditor } from "../../components/JsonEditor.js";
import { Panel } from "../../components/Panel.js";
import { useServices } from "../../state/context.js";
import { Problem } from "./Problem.js";

export interface EditorState {
  text: string;
  /** The stub being edited (loaded from the list), or undefined for a new one. */
  editing?: string;
}

export function StubEditor({ state, onChange, onSaved, onNew }: { state: EditorState; onChange(next: EditorState): void; onSaved(): void; onNew(): void }) {
  const { control } = useServices();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const [saved, setSaved] = useState<string[]>();
  const check = checkJson(state.text, { allowEmpty: false, objectOnly: false });
  // What the last save said belongs to the mapping it saved: another one loaded, it goes.
  useEffect(() => {
    setError(undefined);
    setSaved(undefined);
  }, [state.editing]);

  const save = async () => {
    if (!check.ok || busy) return;
    setBusy(true);
    setError(undefined);
    setSaved(undefined);
    try {
      const { ids } = await control.saveStubs(check.value);
      setSaved(ids);
      onSaved();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Panel
      title={state.editing ? <>Edit stub <span className="mono">{state.editing}</span></> : "New stub"}
      testId="stub-editor-panel"
      actions={
        <button type="button" className="link" data-testid="stub-new" onClick={onNew}>
          {state.editing ? "new stub instead" : "start from the template"}
        </button>
      }
    >
      <JsonEditor
        value={state.text}
        onChange={(text) => onChange({ ...state, text })}
        onSubmit={() => void save()}
        testId="stub-editor"
        label="Mapping (one, or an array · Ctrl+Enter saves)"
        rows={16}
        allowEmpty={false}
        objectOnly={false}
      />
      <div className="row end">
        <span className="dim small grow">
          {state.editing ? "Saving with the same id replaces the mapping (its count starts over)." : "message_type is required; a type with no route gets one."}
        </span>
        <button type="button" className="primary" data-testid="stub-save" disabled={!check.ok || busy} onClick={() => void save()}>
          {busy ? "Saving…" : state.editing ? "Save changes" : "Add stub"}
        </button>
      </div>
      {error !== undefined && <Problem error={error} testId="stub-error" />}
      {saved && (
        <div className="status ok" role="status" data-testid="stub-saved">
          saved {saved.map((id) => <span key={id} className="mono">{id} </span>)}
        </div>
      )}
    </Panel>
  );
}
