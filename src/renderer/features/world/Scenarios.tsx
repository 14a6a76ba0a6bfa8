// The stub scenarios (WireMock's state machines) and the state each is in; reset puts all in Started.
import { Panel } from "../../components/Panel.js";
import type { ScenarioState } from "../../services/control-plane.js";

export function Scenarios({ scenarios, onReset }: { scenarios: ScenarioState[] | undefined; onReset(): void }) {
  return (
    <Panel
      title="Scenarios"
      testId="scenario-panel"
      actions={
        <button type="button" className="small-btn" data-testid="scenarios-reset" disabled={!scenarios?.length} onClick={onReset}>
          reset all to Started
        </button>
      }
    >
      {scenarios && scenarios.length > 0 ? (
        <ul className="scenarios" data-testid="scenario-list">
          {scenarios.map((s) => (
            <li key={s.name} data-testid="scenario" data-name={s.name} data-state={s.state}>
              <span className="mono">{s.name}</span> <span className="dim">in</span> <span className="mono">{s.state}</span>
            </li>
          ))}
        </ul>
      ) : (
        <div className="dim small">No scenarios: a mapping with a "scenario" starts one, in Started.</div>
      )}
    </Panel>
  );
}
