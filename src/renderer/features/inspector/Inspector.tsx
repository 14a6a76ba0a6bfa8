// The gateway journal, live: a list of calls (stage strip per call) and the selected call's diagram.
import { useEffect, useMemo, useState } from "react";
import type { JournalEntry } from "../../../shared/protocol.js";
import { KeyValues } from "../../components/KeyValues.js";
import { Empty, Panel } from "../../components/Panel.js";
import { clockTime, shortId } from "../../components/util.js";
import { useJournal, useServices } from "../../state/context.js";
import { CallBodies } from "./CallBodies.js";
import { JournalTools } from "./JournalTools.js";
import { SequenceDiagram } from "./SequenceDiagram.js";
import { WorldTags, worldRows } from "./WorldNotes.js";

function StageStrip({ entry }: { entry: JournalEntry }) {
  return (
    <span className="strip" aria-hidden>
      {entry.stages.map((s, i) => (
        <span key={i} className={`pip ${s.ok ? "ok" : "bad"}`} title={`${s.stage} ${s.ms} ms${s.reason ? ` — ${s.reason}` : ""}`} />
      ))}
    </span>
  );
}

/** The stub that answered a call, or the nearest one: what the filter finds a call by. */
function stubIdOf(e: JournalEntry): string {
  return e.stub ? (e.stub.matched ? e.stub.id : e.stub.nearest_id) : "";
}

export function Inspector({ visible }: { visible: boolean }) {
  const { journal } = useServices();
  const feed = useJournal();
  const [selected, setSelected] = useState<number>();
  const [follow, setFollow] = useState(true);
  const [filter, setFilter] = useState("");

  useEffect(() => {
    if (visible) journal.start();
  }, [visible, journal]);

  const shown = useMemo(() => {
    const f = filter.trim().toLowerCase();
    const list = f
      ? feed.entries.filter((e) =>
          [e.message_type, e.device_session_id, e.request_id, e.code, e.reason ?? "", e.result_code ?? "", e.rpc, e.injected ?? "", stubIdOf(e)].some((v) => v.toLowerCase().includes(f)),
        )
      : feed.entries;
    return list.slice(-300).reverse();
  }, [feed.entries, filter]);

  // The selected call stays on screen while a filter hides it from the list.
  const chosen = follow ? undefined : feed.entries.find((e) => e.seq === selected);
  const current = chosen ?? shown[0] ?? (follow ? feed.entries.at(-1) : undefined);

  return (
    <div className="grid inspector-layout">
      <Panel
        title="Journal"
        actions={
          <>
            <span className={`small ${feed.connected ? "ok-text" : "dim"}`} data-testid="journal-status">
              {feed.connected ? "● live" : (feed.error ?? "connecting…")}
            </span>
            <label className="check small">
              <input type="checkbox" checked={follow} data-testid="journal-follow" onChange={(e) => setFollow(e.target.checked)} /> follow latest
            </label>
          </>
        }
      >
        <JournalTools />
        <input
          className="filter"
          type="search"
          aria-label="Filter calls"
          data-testid="journal-filter"
          placeholder="filter: message type, session, reason…"
          value={filter}
          onChange={(e) => setFilter(e.target.value)}
        />
        {feed.entries.length === 0 ? (
          <Empty>No calls yet. Every ExecuteCommand and SubscribeEvents shows up here.</Empty>
        ) : shown.length === 0 ? (
          <div className="empty" data-testid="journal-no-match">
            No call matches “{filter.trim()}” ({feed.entries.length} in the journal).{" "}
            <button type="button" className="link" onClick={() => setFilter("")}>
              clear the filter
            </button>
          </div>
        ) : (
          <ul className="journal" data-testid="journal-list">
            {shown.map((e) => (
              <li key={e.seq}>
                <button
                  type="button"
                  className={`journal-entry ${current?.seq === e.seq ? "selected" : ""}`}
                  data-testid="journal-entry"
                  data-seq={e.seq}
                  data-code={e.code}
                  data-rpc={e.rpc}
                  data-reason={e.reason ?? ""}
                  onClick={() => {
                    setSelected(e.seq);
                    setFollow(false);
                  }}
                >
                  <span className="dim mono small">#{e.seq}</span>
                  <span className="dim small">{clockTime(e.at_ms)}</span>
                  <span className="mono msg">{e.rpc === "SubscribeEvents" ? "⇶ subscribe" : e.message_type}</span>
                  <StageStrip entry={e} />
                  <span className={`code-pill ${e.code === "ok" ? "ok" : "bad"}`}>{e.code === "ok" ? (e.result_code ?? "ok") : (e.reason ?? e.code)}</span>
                  <WorldTags entry={e} />
                </button>
              </li>
            ))}
          </ul>
        )}
      </Panel>
      <Panel
        title={<span data-testid="call-title">{current ? `Call #${current.seq}` : "Call"}</span>}
        actions={current && <span className="dim small mono">session {shortId(current.device_session_id, 16)}</span>}
      >
        {current ? (
          <>
            <SequenceDiagram entry={current} />
            <KeyValues
              rows={[
                ["call", `${current.rpc} over ${current.protocol}`],
                ["at", new Date(current.at_ms).toISOString()],
                ["device_session_id", current.device_session_id || "—"],
                ["request_id", current.request_id || "—"],
                ["message_type", current.message_type || "—"],
                ["code", `${current.code}${current.reason ? ` · ${current.reason}` : ""}`],
                ...(current.result_code !== undefined ? [["result_code", current.result_code] as [string, string]] : []),
                ...worldRows(current),
                ["stages", `${current.stages.length} · total ${current.stages.reduce((t, s) => t + s.ms, 0).toFixed(2)} ms`],
              ]}
            />
            <CallBodies entry={current} />
          </>
        ) : (
          <Empty>Select a call.</Empty>
        )}
      </Panel>
    </div>
  );
}
