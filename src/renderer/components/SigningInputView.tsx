import { groupedHex, type SegmentedInput } from "../lib/segments.js";

/** A signing input as a table: one row per field, length prefix dimmed, then the value bytes. */
export function SigningInputView({ input, testId }: { input: SegmentedInput; testId?: string }) {
  return (
    <div className="signing-input" data-testid={testId}>
      <table>
        <thead>
          <tr>
            <th>field</th>
            <th>bytes (hex)</th>
            <th>value</th>
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
      <div className="dim small">
        {input.bytes.length} bytes{" "}
        {input.consistent ? "· matches src/shared" : <span className="bad-text">· differs from src/shared's signing input!</span>}
      </div>
    </div>
  );
}
