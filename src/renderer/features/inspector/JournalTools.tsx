// The journal's tools: export the gateway's whole journal as JSON or as HAR 1.2 (bodies included),
// and clear it (on the gateway, then here).
import { useState } from "react";
import { ConfirmButton } from "../../components/ConfirmButton.js";
import { journalToHar } from "../../lib/har.js";
import { describeError } from "../../services/http.js";
import { useServices } from "../../state/context.js";

/** A blob URL outlives the click a little: Chromium reads it after the click handler returns. */
const REVOKE_AFTER_MS = 60_000;

function download(fileName: string, text: string, type: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement("a");
  a.href = url;
  a.download = fileName;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), REVOKE_AFTER_MS);
}

function stamp(): string {
  return new Date().toISOString().replace(/[:.]/g, "-");
}

export function JournalTools() {
  const { control, journal } = useServices();
  const [note, setNote] = useState<string>();
  const run = async (what: () => Promise<string>) => {
    try {
      setNote(await what());
    } catch (e) {
      setNote(describeError(e));
    }
  };
  const exportAs = (format: "json" | "har") =>
    run(async () => {
      const entries = await control.getWholeJournal();
      if (format === "json") download(`galaxy-journal-${stamp()}.json`, JSON.stringify({ entries }, null, 2), "application/json");
      else download(`galaxy-journal-${stamp()}.har`, JSON.stringify(journalToHar(entries, location.origin, "1"), null, 2), "application/json");
      return `exported ${entries.length} call(s)`;
    });
  return (
    <div className="row small journal-tools">
      <button type="button" data-testid="journal-export-json" onClick={() => void exportAs("json")}>
        Export JSON
      </button>
      <button type="button" data-testid="journal-export-har" onClick={() => void exportAs("har")}>
        Export HAR
      </button>
      <ConfirmButton
        testId="journal-clear"
        confirmLabel="Clear the gateway's journal?"
        onConfirm={() =>
          void run(async () => {
            await control.clearJournal();
            journal.clearLocal();
            return "journal cleared";
          })
        }
      >
        Clear
      </ConfirmButton>
      {note && <span className="dim" data-testid="journal-tools-note">{note}</span>}
    </div>
  );
}
