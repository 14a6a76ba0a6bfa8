// The stub mappings the mock holds, each with how many calls it matched; edit loads one into the
// editor, delete asks for a second click.
import { ConfirmButton } from "../../components/ConfirmButton.js";
import { Empty } from "../../components/Panel.js";
import type { StubView } from "../../services/control-plane.js";

export function StubList({ stubs, editing, onEdit, onDelete }: { stubs: StubView[]; editing?: string; onEdit(stub: StubView): void; onDelete(id: string): void }) {
  if (stubs.length === 0) return <Empty>No stub mappings. Add one below, or start the emulator with --stubs DIR.</Empty>;
  return (
    <table className="world-table" data-testid="stub-list">
      <thead>
        <tr>
          <th scope="col">id</th>
          <th scope="col">message_type</th>
          <th scope="col" className="num">priority</th>
          <th scope="col" className="num">matched</th>
          <th scope="col">scenario</th>
          <th scope="col"><span className="visually-hidden">actions</span></th>
        </tr>
      </thead>
      <tbody>
        {stubs.map((s) => (
          <tr key={s.id} className={editing === s.id ? "selected" : ""} data-testid="stub-row" data-stub-id={s.id} data-matched-count={s.matched_count}>
            <td className="mono">{s.id}</td>
            <td className="mono">{s.message_type}</td>
            <td className="num mono">{s.priority}</td>
            <td className="num mono" data-testid="stub-matched-count">{s.matched_count}</td>
            <td className="small">
              {s.scenario ? (
                <>
                  <span className="mono">{s.scenario.name}</span>
                  {s.scenario.required_state && <span className="dim"> in {s.scenario.required_state}</span>}
                  {s.scenario.new_state && <span className="dim"> → {s.scenario.new_state}</span>}
                </>
              ) : (
                <span className="dim">—</span>
              )}
            </td>
            <td className="actions">
              <button type="button" className="small-btn" data-testid="stub-edit" aria-label={`edit ${s.id}`} onClick={() => onEdit(s)}>
                edit
              </button>
              <ConfirmButton className="small-btn danger-outline" testId="stub-delete" confirmLabel="delete?" onConfirm={() => onDelete(s.id)}>
                delete
              </ConfirmButton>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
