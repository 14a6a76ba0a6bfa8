import { useState } from "react";
import { ConfirmButton } from "../../components/ConfirmButton.js";
import { Panel } from "../../components/Panel.js";
import { describeError } from "../../services/http.js";
import { useServices } from "../../state/context.js";
import { ConfigForm } from "./ConfigForm.js";
import { GatewayKey } from "./GatewayKey.js";

export function Settings({ visible }: { visible: boolean }) {
  const services = useServices();
  const [forget, setForget] = useState(false);
  const [note, setNote] = useState<string>();

  const reset = async () => {
    try {
      await services.resetEmulator({ forgetDevices: forget });
      setNote(
        forget
          ? "Emulator reset; local devices forgotten."
          : "Emulator reset: sessions, challenges, mailbox, replay store, buckets and journal are cleared. Stored devices now point at unknown sessions.",
      );
    } catch (e) {
      setNote(describeError(e));
    }
  };

  return (
    <div className="grid two">
      <ConfigForm visible={visible} />
      <div className="stack">
        <GatewayKey />
        <Panel title="Reset the emulator">
          <p className="dim small">Clears sessions, challenges, the mailbox, the replay store, rate-limit buckets and the journal.</p>
          <div className="row">
            <label className="check small">
              <input type="checkbox" checked={forget} onChange={(e) => setForget(e.target.checked)} /> also forget the devices stored here
            </label>
            <span className="grow" />
            <ConfirmButton testId="emulator-reset" confirmLabel="Reset everything?" onConfirm={() => void reset()}>
              Reset emulator
            </ConfirmButton>
          </div>
          {note && <div className="small" data-testid="reset-note">{note}</div>}
        </Panel>
        <Panel title="About this console">
          <dl className="kv compact">
            <dt>origin</dt>
            <dd className="mono">{location.origin}</dd>
            <dt>host</dt>
            <dd>{services.bridge.host === "electron" ? "Electron (devices in safeStorage)" : "browser (devices in IndexedDB)"}</dd>
          </dl>
        </Panel>
      </div>
    </div>
  );
}
