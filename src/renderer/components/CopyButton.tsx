// The one copy button of the console: copies a text (or what a function makes at the click) to the
// clipboard and says so for a moment. The Clipboard API first; where it is refused — the Electron app
// denies every permission, clipboard writes included (src/main/permissions.ts) — the click's own
// copy command on a hidden textarea; if both fail, it says so instead of failing silently.
import { useEffect, useState } from "react";

/** Copies through a selection and the "copy" command, which needs no permission inside a click. */
function copyBySelection(text: string): boolean {
  const area = document.createElement("textarea");
  area.value = text;
  area.setAttribute("readonly", "");
  area.setAttribute("aria-hidden", "true");
  // CSSOM properties, not a style attribute: the console's CSP refuses inline styles.
  area.style.position = "fixed";
  area.style.opacity = "0";
  document.body.append(area);
  try {
    area.select();
    return document.execCommand("copy");
  } finally {
    area.remove();
  }
}

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
      setResult(copyBySelection(text) ? "copied" : "failed");
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
