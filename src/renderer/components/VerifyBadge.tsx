import type { Verification } from "../../sdk/signed-call.js";

/** ✓ / ✗ of a response or event checked against the pinned gateway key. */
export function VerifyBadge({ verification, testId }: { verification: Verification; testId?: string }) {
  return verification.ok ? (
    <span className="badge ok" data-testid={testId} data-ok="true" title="signature and payload hash verified against the pinned gateway key">
      ✓ verified
    </span>
  ) : (
    <span className="badge bad" data-testid={testId} data-ok="false" title={verification.problem}>
      ✗ {verification.problem}
    </span>
  );
}
