// Fault presets (one switch each, its state read from GET /emulator/v1/faults) and every fault the
// gateway holds, with its hits and seed.
import { useId, useState } from "react";
import { Empty } from "../../components/Panel.js";
import type { FaultView } from "../../services/control-plane.js";
import { useServices } from "../../state/context.js";
import { FAULT_PRESETS, type FaultPreset } from "./presets.js";
import { Problem } from "./Problem.js";

function PresetSwitch({ preset, held, messageTypes, onChanged }: { preset: FaultPreset; held?: FaultView; messageTypes: string[]; onChanged(): void }) {
  const { control, gatewayInfo } = useServices();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const [picked, setPicked] = useState<string>();
  const labelId = useId();
  const on = held !== undefined;
  // While on, the command is the one the gateway holds (another console may have chosen it).
  const heldType = typeof held?.["message_type"] === "string" ? (held["message_type"] as string) : undefined;
  const messageType = (on ? heldType : undefined) ?? picked ?? messageTypes[0] ?? "";

  const apply = async (next: boolean, type = messageType) => {
    setBusy(true);
    setError(undefined);
    try {
      if (next) await control.addFault({ id: preset.id, ...preset.fault(type) });
      else await control.deleteFault(preset.id);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
      onChanged();
      // The header's backend light: an outage (or its end) shows now, not at the next poll.
      void gatewayInfo.refresh();
    }
  };

  return (
    <li className="preset" data-testid={`preset-${preset.id}`} data-on={on}>
      <button
        type="button"
        role="switch"
        className={`switch ${on ? "on" : ""}`}
        aria-checked={on}
        aria-labelledby={labelId}
        data-testid={`preset-switch-${preset.id}`}
        disabled={busy || (preset.perCommand && !messageType)}
        onClick={() => void apply(!on)}
      >
        <span className="switch-knob" aria-hidden="true" />
        <span className="switch-text">{on ? "on" : "off"}</span>
      </button>
      <div className="preset-main">
        <div id={labelId} className="preset-label">
          {preset.label}
        </div>
        <div className="dim small">{preset.effect}</div>
        {preset.perCommand && (
          <label className="preset-type small">
            <span className="dim">command</span>
            <select
              data-testid={`preset-type-${preset.id}`}
              value={messageType}
              disabled={busy}
              onChange={(e) => {
                setPicked(e.target.value);
                if (on) void apply(true, e.target.value); // same id: replaces the held fault
              }}
            >
              {messageTypes.length === 0 && <option value="">no known routes</option>}
              {messageTypes.map((t) => (
                <option key={t} value={t}>
                  {t}
                </option>
              ))}
            </select>
          </label>
        )}
        {error !== undefined && <Problem error={error} testId={`preset-error-${preset.id}`} />}
      </div>
    </li>
  );
}

/** A fault's own fields, without those the table shows. */
function specText(f: FaultView): string {
  const { id: _id, target: _target, seed: _seed, hits: _hits, ...rest } = f;
  return JSON.stringify(rest);
}

export function Faults({ faults, messageTypes, onChanged }: { faults: FaultView[]; messageTypes: string[]; onChanged(): void }) {
  const { control } = useServices();
  const [error, setError] = useState<unknown>();
  const remove = async (id: string) => {
    setError(undefined);
    try {
      await control.deleteFault(id);
    } catch (e) {
      setError(e);
    } finally {
      onChanged();
    }
  };
  return (
    <>
      <h3>Presets</h3>
      <ul className="presets" data-testid="fault-presets">
        {FAULT_PRESETS.map((p) => (
          <PresetSwitch key={p.id} preset={p} held={faults.find((f) => f.id === p.id)} messageTypes={messageTypes} onChanged={onChanged} />
        ))}
      </ul>
      <h3>Faults held by the gateway</h3>
      {faults.length === 0 ? (
        <Empty>No faults: every call goes through as usual.</Empty>
      ) : (
        <table className="world-table" data-testid="fault-list">
          <thead>
            <tr>
              <th scope="col">id</th>
              <th scope="col">target</th>
              <th scope="col" className="num">hits</th>
              <th scope="col" className="num">seed</th>
              <th scope="col">fault</th>
              <th scope="col"><span className="visually-hidden">actions</span></th>
            </tr>
          </thead>
          <tbody>
            {faults.map((f) => (
              <tr key={f.id} data-testid="fault-row" data-fault-id={f.id} data-hits={f.hits}>
                <td className="mono">{f.id}</td>
                <td className="mono word">{f.target}</td>
                <td className="num mono">{f.hits}</td>
                <td className="num mono">{f.seed}</td>
                <td className="mono small spec">{specText(f)}</td>
                <td className="actions">
                  <button type="button" className="small-btn danger-outline" data-testid="fault-delete" aria-label={`delete fault ${f.id}`} onClick={() => void remove(f.id)}>
                    delete
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {error !== undefined && <Problem error={error} testId="fault-error" />}
    </>
  );
}
