// What the programmable world did to a call (README "Your own game"): which stub mapping answered, or
// why none did, and which faults were injected — so a stubbed answer or an injected failure is never
// mistaken for the gateway's own behaviour.
import type { ReactNode } from "react";
import type { JournalEntry } from "../../../shared/protocol.js";

/** "answered by stub <id>" / "no stub matched: nearest <id>, differs at <path>", or undefined for an unstubbed type. */
export function stubLine(entry: JournalEntry): string | undefined {
  const stub = entry.stub;
  if (!stub) return undefined;
  return stub.matched ? `answered by stub ${stub.id}` : `no stub matched: nearest ${stub.nearest_id}, differs at ${stub.differs_at}`;
}

/** "fault <ids> injected", or undefined when none was. */
export function faultLine(entry: JournalEntry): string | undefined {
  return entry.injected ? `fault ${entry.injected} injected` : undefined;
}

/** The call's stub and fault lines as tags (the journal list). */
export function WorldTags({ entry }: { entry: JournalEntry }) {
  const stub = stubLine(entry);
  const fault = faultLine(entry);
  if (!stub && !fault) return null;
  return (
    <span className="journal-notes">
      {stub && (
        <span className={`tag ${entry.stub?.matched ? "accent" : "bad"}`} data-testid="journal-stub">
          {stub}
        </span>
      )}
      {fault && (
        <span className="tag warn-tag" data-testid="journal-fault">
          {fault}
        </span>
      )}
    </span>
  );
}

/** The detail view's rows for KeyValues. */
export function worldRows(entry: JournalEntry): [string, ReactNode][] {
  const stub = stubLine(entry);
  const fault = faultLine(entry);
  const rows: [string, ReactNode][] = [];
  if (stub) rows.push(["stub", <span data-testid="call-stub" className={entry.stub?.matched ? "" : "bad-text"}>{stub}</span>]);
  if (fault) rows.push(["fault", <span data-testid="call-fault" className="warn-text">{fault}</span>]);
  return rows;
}
