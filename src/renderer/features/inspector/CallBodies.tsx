// A journaled call's request and response bodies, as the gateway kept them (cut at its cap).
import type { JournalBody, JournalEntry } from "../../../shared/protocol.js";
import { CopyButton } from "../../components/CopyButton.js";

function pretty(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

function Body({ title, body, testId }: { title: string; body: JournalBody; testId: string }) {
  return (
    <div className="call-body">
      <h3>
        {title} <span className="dim small">{body.bytes} bytes{body.truncated ? ` · first ${body.text.length} kept` : ""}</span>{" "}
        <CopyButton text={body.text} what={title.toLowerCase()} />
      </h3>
      <pre tabIndex={0} className="mono payload small" data-testid={testId} data-truncated={body.truncated}>
        {body.bytes === 0 ? "(empty)" : pretty(body.text)}
      </pre>
    </div>
  );
}

export function CallBodies({ entry }: { entry: JournalEntry }) {
  if (entry.bodies_dropped) return <div className="dim small">Bodies dropped to keep the journal within its memory budget.</div>;
  if (!entry.request_body && !entry.response_body) return null;
  return (
    <>
      {entry.request_body && <Body title="Request body" body={entry.request_body} testId="call-request-body" />}
      {entry.response_body && <Body title="Response body" body={entry.response_body} testId="call-response-body" />}
    </>
  );
}
