// "Copy as" for one command: `buf curl`, curl (Connect JSON) or grpcurl, with a request signed at the
// click (fresh request_id and timestamp), so what is pasted is accepted — once, and while its
// timestamp is within the gateway's freshness window, which this says in plain time.
import { useState } from "react";
import type { StoredDevice } from "../../shared/bridge.js";
import { COPY_FORMAT_LABELS, COPY_FORMATS, copyAsCommand, type CopyFormat } from "../lib/copy-as.js";
import { requestJson } from "../services/gateway-client.js";
import { useGatewayInfo, useServices } from "../state/context.js";
import { CopyButton } from "./CopyButton.js";
import { useTick } from "./use-tick.js";
import { clockTime } from "./util.js";

interface Made {
  format: CopyFormat;
  command: string;
  requestId: string;
  /** Local clock time until which the gateway accepts the timestamp. */
  validUntilMs: number;
}

export function CopyAs({ device, messageType, payload, testId = "copy-as" }: { device: StoredDevice; messageType: string; payload: unknown; testId?: string }) {
  const { commands } = useServices();
  const gw = useGatewayInfo();
  const [made, setMade] = useState<Made>();
  const now = useTick(made !== undefined, 1_000);
  const windowMs = gw.info?.freshness_window_ms;

  const make = (format: CopyFormat): string => {
    const signed = commands.sign(device, messageType, payload);
    const command = copyAsCommand(format, location.origin, requestJson(signed));
    // The gateway compares the timestamp with its own clock: on the local clock that is skew earlier.
    const validUntilMs = Number(signed.envelope.timestampMs) + (windowMs ?? 0) - (gw.skewMs ?? 0);
    setMade({ format, command, requestId: signed.envelope.requestId, validUntilMs });
    return command;
  };

  const left = made ? Math.max(0, Math.floor((made.validUntilMs - now) / 1000)) : 0;
  return (
    <div className="copy-as" data-testid={testId}>
      <span className="dim small">Copy as</span>
      {COPY_FORMATS.map((f) => (
        <CopyButton key={f} text={() => make(f)} label={COPY_FORMAT_LABELS[f]} what={`the command as ${COPY_FORMAT_LABELS[f]}`} testId={`${testId}-${f}`} />
      ))}
      {made && (
        <div className="copy-as-made">
          {/* Focusable: a long command scrolls, and a scrolling region must be reachable by keyboard. */}
          <pre tabIndex={0} className="mono small copy-as-command" data-testid={`${testId}-command`} data-format={made.format} data-request-id={made.requestId}>
            {made.command}
          </pre>
          <div className={`small ${left > 0 ? "dim" : "bad-text"}`} data-testid={`${testId}-validity`}>
            {windowMs === undefined
              ? "signed now; the gateway's freshness window is not known yet"
              : left > 0
                ? `signed now (request_id ${made.requestId}); the gateway accepts it once, for ${left} s more (until ${clockTime(made.validUntilMs)}, freshness window ${windowMs / 1000} s)`
                : `expired: its timestamp is outside the ${windowMs / 1000} s freshness window — copy again for a fresh one`}
          </div>
        </div>
      )}
    </div>
  );
}
