import { toHex } from "../../shared/bytes.js";
import { groupedHex, type SegmentedInput } from "../lib/segments.js";
import { CopyButton } from "./CopyButton.js";

/** A signing input as a table: one row per field, length prefix dimmed, then the value bytes; a copy of all of it as hex. */
export function SigningInputView({ input, testId }: { input: SegmentedInput; testId?: string }) {
  return (
    <div className="signing-input" data-testid={testId}>
      <table>
        <thead>
          <tr>
            <th scope="col">field</th>
            <th scope="col">bytes (hex)</th>
            <th scope="col">value</th>
          </tr>
        </thead>
        <tbody>
          {input.segments.map((s, i) => (
            <tr key={i} className={`seg seg-${s.kind}`}>
              <td className="seg-field">
                {s.field} <span className="dim">{s.kind}</span>
              </td>
              <td className="mono hex">
                {s.prefix && <span className="len-prefix">{groupedHex(s.prefix)} </span>}
                {groupedHex(s.value)}
              </td>
              <td className="mono seg-value">{s.display}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <div className="dim small" data-testid="signing-input-check">
        <CopyButton text={toHex(input.bytes)} what="the signing input (hex)" testId={testId && `${testId}-copy`} /> {input.bytes.length} bytes{" "}
        {input.consistent ? (
          "· ✓ these rows, joined, are exactly the bytes that were signed"
        ) : (
          <span className="bad-text">· ✗ these rows, joined, differ from the bytes that were signed: the console shows them wrong</span>
        )}
      </div>
    </div>
  );
}
