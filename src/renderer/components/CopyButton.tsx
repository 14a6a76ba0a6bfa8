// The one copy button of the console: copies a text (or what a function makes at the click) to the
// clipboard and says so for a moment; when the clipboard refuses (no permission, not a secure
// context), it says that instead of failing silently.
import { useEffect, useState } from "react";

/** How long "copied" stays: long enough to be read, short enough to copy again. */
const CONFIRM_MS = 1_500;

export function CopyButton(props: { text: string | (() => string); label?: string; what?: string; testId?: string }) {
  const [result, setResult] = useState<"copied" | "failed">();
  useEffect(() => {
    if (!result) return;
    const t = setTimeout(() => setResult(undefined), CONFIRM_MS);
    return () => clearTimeout(t);
  }, [result]);
  const copy = async () => {
    const text = typeof props.text === "function" ? props.text() : props.text;
    try {
      await navigator.clipboard.writeText(text);
      setResult("copied");
    } catch {
      setResult("failed");
    }
  };
  return (
    <button
      type="button"
      className={`copy-button link small ${result ?? ""}`}
      data-testid={props.testId}
      data-copied={result === "copied"}
      aria-label={`copy ${props.what ?? props.label ?? "to clipboard"}`}
      title={`copy ${props.what ?? "to clipboard"}`}
      onClick={() => void copy()}
    >
      {result === "copied" ? `${props.label ? `${props.label}: ` : ""}copied ✓` : result === "failed" ? "copy failed: select the text" : (props.label ?? "copy")}
    </button>
  );
}
