// What the programmable world did to a call (README "Your own game"): which stub mapping answered, or
// why none did, and which faults were injected — so a stubbed answer or an injected failure is never
// mistaken for the gateway's own behaviour.
import type { ReactNode } from "react";
import type { JournalEntry } from "../../../shared/protocol.js";

/**
 * A miss the built-in route then answered: the stub's type has a default route and the answer is not
 * `stub_not_matched` (README "Stub mappings"). A call rejected before any answer is not one.
 */
function builtInAnswered(entry: JournalEntry): boolean {
  return entry.stub?.matched === false && entry.result_code !== undefined && entry.result_code !== "stub_not_matched";
}

/**
 * "answered by stub <id>" / "no stub matched: nearest <id>, differs at <path>" / the same miss with
 * "; answered by the built-in route" when that route answered; undefined for an unstubbed type.
 */
export function stubLine(entry: JournalEntry): string | undefined {
  const stub = entry.stub;
  if (!stub) return undefined;
  if (stub.matched) return `answered by stub ${stub.id}`;
  if (builtInAnswered(entry)) return `no stub matched (nearest ${stub.nearest_id}, differs at ${stub.differs_at}); answered by the built-in route`;
  return `no stub matched: nearest ${stub.nearest_id}, differs at ${stub.differs_at}`;
}

/** Red only for a miss that left the call unanswered by any route; a match or a built-in answer is neutral. */
function stubIsProblem(entry: JournalEntry): boolean {
  return entry.stub?.matched === false && !builtInAnswered(entry);
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
        <span className={`tag ${stubIsProblem(entry) ? "bad" : entry.stub?.matched ? "accent" : ""}`} data-testid="journal-stub">
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
  if (stub) rows.push(["stub", <span data-testid="call-stub" className={stubIsProblem(entry) ? "bad-text" : ""}>{stub}</span>]);
  if (fault) rows.push(["fault", <span data-testid="call-fault" className="warn-text">{fault}</span>]);
  return rows;
}
