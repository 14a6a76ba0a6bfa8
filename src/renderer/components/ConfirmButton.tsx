import { useEffect, useState, type ReactNode } from "react";

/** A destructive action that needs a second click within a few seconds. */
export function ConfirmButton(props: { onConfirm(): void; children: ReactNode; confirmLabel?: string; testId?: string; className?: string; disabled?: boolean }) {
  const [armed, setArmed] = useState(false);
  useEffect(() => {
    if (!armed) return;
    const t = setTimeout(() => setArmed(false), 4000);
    return () => clearTimeout(t);
  }, [armed]);
  return (
    <button
      type="button"
      className={`${props.className ?? ""} ${armed ? "danger" : ""}`}
      data-testid={props.testId}
      data-armed={armed}
      disabled={props.disabled}
      onClick={() => {
        if (armed) {
          setArmed(false);
          props.onConfirm();
        } else setArmed(true);
      }}
    >
      {armed ? (props.confirmLabel ?? "Click again to confirm") : props.children}
    </button>
  );
}
