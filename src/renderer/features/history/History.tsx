// Every command this console sent from the active device (kept across reloads), to rename, re-send —
// signed again now, with a fresh request_id and timestamp — copy as a shell command, or save into a
// named collection; and the collections, whose requests any device can send.
import { useId, useState } from "react";
import type { StoredDevice } from "../../../shared/bridge.js";
import { CopyAs } from "../../components/CopyAs.js";
import { CopyButton } from "../../components/CopyButton.js";
import { Empty, Panel } from "../../components/Panel.js";
import { clockTime } from "../../components/util.js";
import type { CommandOutcome } from "../../services/commands.js";
import type { HistoryItem, SavedRequest } from "../../services/history.js";
import { useApp, useServices, useStore } from "../../state/context.js";

/** The payload text back as what CommandService.run takes: a JSON value, or undefined for an empty payload. */
function payloadOf(text: string): unknown {
  return text.trim() === "" ? undefined : (JSON.parse(text) as unknown);
}

function Sent({ outcome }: { outcome: CommandOutcome }) {
  const ok = outcome.response !== undefined;
  return (
    <div className={`small ${ok ? "ok-text" : "bad-text"}`} data-testid="history-resend-result" data-request-id={outcome.signed.envelope.requestId} data-accepted={ok}>
      sent as <span className="mono">{outcome.signed.envelope.requestId}</span>:{" "}
      {outcome.response?.envelope?.resultCode ?? outcome.rejection?.reason ?? outcome.rejection?.code}
    </div>
  );
}

function Item({ item, device, collections }: { item: HistoryItem; device: StoredDevice; collections: string[] }) {
  const { history, commands } = useServices();
  const [renaming, setRenaming] = useState(false);
  const [name, setName] = useState(item.name ?? "");
  const [collection, setCollection] = useState("");
  const [saveNote, setSaveNote] = useState<string>();
  const [busy, setBusy] = useState(false);
  const [sent, setSent] = useState<CommandOutcome>();
  const [showCopy, setShowCopy] = useState(false);
  const listId = useId();
  const resend = async () => {
    setBusy(true);
    try {
      setSent(await commands.run(device, item.messageType, payloadOf(item.payloadText)));
    } finally {
      setBusy(false);
    }
  };
  const save = () => {
    const problem = history.saveToCollection(collection, { name: item.name ?? item.messageType, messageType: item.messageType, payloadText: item.payloadText });
    setSaveNote(problem ?? `saved to ${collection.trim()}`);
    if (!problem) setCollection("");
  };
  return (
    <li className="history-item" data-testid="history-item" data-request-id={item.requestId} data-outcome={item.outcome} data-name={item.name ?? ""}>
      <div className="row">
        <span className="dim small">{clockTime(item.sentAtMs)}</span>
        {renaming ? (
          <>
            <input aria-label="name" value={name} data-testid="history-rename-input" onChange={(e) => setName(e.target.value)} />
            <button
              type="button"
              data-testid="history-rename-save"
              onClick={() => {
                history.rename(item.id, name);
                setRenaming(false);
              }}
            >
              save name
            </button>
          </>
        ) : (
          <strong className="history-name">{item.name ?? item.messageType}</strong>
        )}
        {item.name && <span className="mono dim small">{item.messageType}</span>}
        <span className={`code-pill ${item.accepted ? "ok" : "bad"}`}>{item.outcome}</span>
        <span className="dim small">{item.elapsedMs.toFixed(0)} ms</span>
        <span className="grow" />
        <button type="button" className="primary" data-testid="history-resend" disabled={busy || item.payloadTruncated} onClick={() => void resend()} title={item.payloadTruncated ? "the payload was too long to keep whole" : "sign again now and send"}>
          {busy ? "Sending…" : "Re-send"}
        </button>
        <button type="button" className="link" data-testid="history-rename" onClick={() => setRenaming(!renaming)}>
          rename
        </button>
        <button type="button" className="link" onClick={() => setShowCopy(!showCopy)} data-testid="history-copy-toggle">
          copy as…
        </button>
        <button type="button" className="link" onClick={() => history.remove(item.id)}>
          remove
        </button>
      </div>
      <div className="small dim">
        request_id <span className="mono">{item.requestId}</span> <CopyButton text={item.requestId} what="request_id" />
      </div>
      {item.payloadText && <pre tabIndex={0} className="mono payload small">{item.payloadText}</pre>}
      <div className="row small">
        <label className="dim" htmlFor={`${listId}-in`}>save to collection</label>
        <input id={`${listId}-in`} list={listId} value={collection} placeholder="collection name" data-testid="history-collection-input" onChange={(e) => setCollection(e.target.value)} />
        <datalist id={listId}>
          {collections.map((c) => (
            <option key={c} value={c} />
          ))}
        </datalist>
        <button type="button" data-testid="history-collection-save" disabled={!collection.trim()} onClick={save}>
          save
        </button>
        {saveNote && <span className="dim">{saveNote}</span>}
      </div>
      {showCopy && !item.payloadTruncated && <CopyAs device={device} messageType={item.messageType} payload={payloadOf(item.payloadText)} testId="history-copy-as" />}
      {sent && <Sent outcome={sent} />}
    </li>
  );
}

function SavedRow({ collection, request, device }: { collection: string; request: SavedRequest; device: StoredDevice | undefined }) {
  const { history, commands } = useServices();
  const [sent, setSent] = useState<CommandOutcome>();
  const [busy, setBusy] = useState(false);
  const send = async () => {
    if (!device) return;
    setBusy(true);
    try {
      setSent(await commands.run(device, request.messageType, payloadOf(request.payloadText)));
    } finally {
      setBusy(false);
    }
  };
  return (
    <li data-testid="saved-request" data-name={request.name}>
      <div className="row">
        <strong>{request.name}</strong> <span className="mono dim small">{request.messageType}</span>
        <span className="grow" />
        <button type="button" data-testid="saved-send" disabled={!device || busy} onClick={() => void send()}>
          {busy ? "Sending…" : "Send"}
        </button>
        <button type="button" className="link" onClick={() => history.removeSaved(collection, request.id)}>
          remove
        </button>
      </div>
      {request.payloadText && <pre tabIndex={0} className="mono payload small">{request.payloadText}</pre>}
      {sent && <Sent outcome={sent} />}
    </li>
  );
}

export function History() {
  const app = useApp();
  const { history } = useServices();
  const state = useStore(history);
  const device = app.active;
  const items = device ? state.items.filter((i) => i.deviceSessionId === device.deviceSessionId) : [];
  const collectionNames = state.collections.map((c) => c.name);
  return (
    <div className="grid two">
      <Panel title={device ? <>History of <span className="mono">{device.email}</span></> : "History"} testId="history-panel">
        {state.saveError && <div className="bad-text small">{state.saveError}</div>}
        {!device ? (
          <Empty>Sign in first: the history is kept per device.</Empty>
        ) : items.length === 0 ? (
          <Empty>Nothing sent from this device yet. Every command sent from Commands is kept here, across reloads.</Empty>
        ) : (
          <ol className="history" data-testid="history-list">
            {items.map((item) => (
              <Item key={item.id} item={item} device={device} collections={collectionNames} />
            ))}
          </ol>
        )}
      </Panel>
      <Panel title="Collections" testId="collections-panel">
        {state.collections.length === 0 ? (
          <Empty>Save a request from the history into a named collection to send it again from any device.</Empty>
        ) : (
          state.collections.map((c) => (
            <section key={c.name} className="collection" data-testid="collection" data-name={c.name}>
              <h3>{c.name}</h3>
              <ul className="history">
                {c.requests.map((r) => (
                  <SavedRow key={r.id} collection={c.name} request={r} device={device} />
                ))}
              </ul>
            </section>
          ))
        )}
      </Panel>
    </div>
  );
}
