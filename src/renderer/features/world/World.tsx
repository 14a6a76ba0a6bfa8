// The Stubs & faults tab (README "Your own game"): the mock backend's stub mappings (list with their
// match counts, create, edit, delete), its scenarios, and the gateway's faults with a switch per preset.
// Read from the control plane while the tab is open, so what another console or a test changed shows up.
import { useCallback, useRef, useState } from "react";
import { Panel } from "../../components/Panel.js";
import type { FaultView, ScenarioState, StubView } from "../../services/control-plane.js";
import { describeError } from "../../services/http.js";
import { useServices } from "../../state/context.js";
import { Faults } from "./Faults.js";
import { Scenarios } from "./Scenarios.js";
import { StubEditor, type EditorState } from "./StubEditor.js";
import { StubList } from "./StubList.js";
import { STUB_TEMPLATE } from "./stub-template.js";
import { usePoll } from "../../components/use-poll.js";

/**
 * How often the open tab reads stubs, scenarios, faults and the routes again: four small loopback
 * GETs, so a switch another console flipped or a count a call raised shows within 2 s, no reload.
 */
const REFRESH_MS = 2_000;

interface Lists {
  stubs: StubView[];
  scenarios: ScenarioState[];
  faults: FaultView[];
  /** Routed message types (config) and stubbed ones: what the per-command preset can target. */
  messageTypes: string[];
}

const templateEditor = (): EditorState => ({ text: JSON.stringify(STUB_TEMPLATE, null, 2) });

/** A listed mapping back as a body POST accepts: without the count the list adds. */
function mappingText({ matched_count: _count, ...mapping }: StubView): string {
  return JSON.stringify(mapping, null, 2);
}

export function World({ visible }: { visible: boolean }) {
  const { control } = useServices();
  const [lists, setLists] = useState<Lists>();
  const [loadError, setLoadError] = useState<string>();
  const [actionError, setActionError] = useState<string>();
  const [editor, setEditor] = useState<EditorState>(templateEditor);
  // Answers can arrive out of order (a poll and a refresh after a change): only the newest is shown.
  const asked = useRef(0);

  const refresh = useCallback(async () => {
    const n = ++asked.current;
    try {
      const [stubs, scenarios, faults, config] = await Promise.all([control.listStubs(), control.listScenarios(), control.listFaults(), control.getConfig()]);
      if (n !== asked.current) return;
      const messageTypes = [...new Set([...Object.keys(config.routes), ...stubs.map((s) => s.message_type)])].sort();
      setLists({ stubs, scenarios, faults, messageTypes });
      setLoadError(undefined);
    } catch (e) {
      if (n === asked.current) setLoadError(describeError(e));
    }
  }, [control]);

  usePoll(visible, REFRESH_MS, refresh);

  const act = async (what: () => Promise<unknown>) => {
    setActionError(undefined);
    try {
      await what();
    } catch (e) {
      setActionError(describeError(e));
    }
    await refresh();
  };

  const deleteStub = (id: string) =>
    void act(async () => {
      await control.deleteStub(id);
      if (editor.editing === id) setEditor(templateEditor());
    });

  return (
    <div className="stack">
      <Panel
        title="Stub mappings"
        testId="stub-panel"
        actions={
          <span className={`small ${loadError ? "bad-text" : "dim"}`} data-testid="world-status">
            {loadError ?? (lists ? `${lists.stubs.length} mapping${lists.stubs.length === 1 ? "" : "s"}` : "loading…")}
          </span>
        }
      >
        {lists && <StubList stubs={lists.stubs} editing={editor.editing} onEdit={(s) => setEditor({ text: mappingText(s), editing: s.id })} onDelete={deleteStub} />}
        {actionError && (
          <div className="field-error" role="alert" data-testid="world-error">
            {actionError}
          </div>
        )}
      </Panel>
      <div className="grid world-layout">
        <StubEditor state={editor} onChange={setEditor} onSaved={() => void refresh()} onNew={() => setEditor(templateEditor())} />
        <div className="stack">
          <Panel title="Faults" testId="fault-panel">
            {lists && <Faults faults={lists.faults} messageTypes={lists.messageTypes} onChanged={() => void refresh()} />}
          </Panel>
          <Scenarios scenarios={lists?.scenarios} onReset={() => void act(() => control.resetScenarios())} />
        </div>
      </div>
    </div>
  );
}
