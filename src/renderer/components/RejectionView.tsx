import type { Rejection } from "../services/rejection.js";

/** A gateway rejection: Connect code, GatewayError reason and stage, retry hint, message. */
export function RejectionView({ rejection, testId = "rejection" }: { rejection: Rejection; testId?: string }) {
  return (
    <div className="rejection" data-testid={testId} data-code={rejection.code} data-reason={rejection.reason ?? ""} data-stage={rejection.stage ?? ""}>
      <div className="rejection-head">
        <span className="code">{rejection.code}</span>
        {rejection.reason && <span className="reason" data-testid={`${testId}-reason`}>{rejection.reason}</span>}
        {rejection.stage && <span className="stage">stage: {rejection.stage}</span>}
      </div>
      <dl className="kv compact">
        {rejection.retryAfterMs !== undefined && (
          <>
            <dt>retry_after_ms</dt>
            <dd data-testid={`${testId}-retry`}>{rejection.retryAfterMs}</dd>
          </>
        )}
        {rejection.serverTimeMs !== undefined && (
          <>
            <dt>server_time_ms</dt>
            <dd>
              {rejection.serverTimeMs} <span className="dim">({new Date(rejection.serverTimeMs).toISOString()})</span>
            </dd>
          </>
        )}
        {rejection.message && (
          <>
            <dt>message</dt>
            <dd>{rejection.message}</dd>
          </>
        )}
      </dl>
    </div>
  );
}
