import type { DeadReason } from "../state/app-store.js";

/**
 * Said where a device would be used (Commands, Events, Tamper lab) when its session is dead: without
 * it, a revoked device's rejections look like gateway faults.
 */
export function DeadDeviceWarning({ reason }: { reason: DeadReason }) {
  return (
    <div className="status error" role="alert" data-testid="dead-device-warning" data-reason={reason}>
      {reason === "revoked" ? (
        <>
          This device session was <strong>revoked</strong>: the gateway answers <span className="mono">session_revoked</span> to anything it sends.
        </>
      ) : (
        <>
          The emulator was <strong>reset</strong> since this device signed in: the gateway answers <span className="mono">unknown_session</span> to
          anything it sends.
        </>
      )}{" "}
      Sign in again (Sign in tab) or pick another device in the header.
    </div>
  );
}
