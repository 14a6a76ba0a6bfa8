// One command as sent and answered: request envelope, signing input, signature; the signed response
// (envelope, result_code, pretty payload) and its verification — or the rejection.
import { toHex } from "../../../shared/bytes.js";
import { CopyAs } from "../../components/CopyAs.js";
import { CopyButton } from "../../components/CopyButton.js";
import type { CommandOutcome } from "../../services/commands.js";
import { prettyPayload } from "../../services/gateway-client.js";
import { KeyValues } from "../../components/KeyValues.js";
import { Panel } from "../../components/Panel.js";
import { RejectionView } from "../../components/RejectionView.js";
import { SigningInputView } from "../../components/SigningInputView.js";
import { VerifyBadge } from "../../components/VerifyBadge.js";
import { groupedHex, requestSegments, responseSegments } from "../../lib/segments.js";

function ts(ms: bigint) {
  return (
    <>
      {String(ms)} <span className="dim">{new Date(Number(ms)).toISOString()}</span>
    </>
  );
}

export function CommandResult({ outcome }: { outcome: CommandOutcome }) {
  const env = outcome.signed.envelope;
  const res = outcome.response;
  const renv = res?.envelope;
  return (
    <div className="grid two result" data-testid="command-result">
      <Panel title="Request" actions={<span className="dim small">signed by the device key</span>}>
        <KeyValues
          testId="request-envelope"
          rows={[
            ["protocol_version", env.protocolVersion],
            ["device_session_id", <><span data-testid="request-device-session-id">{env.deviceSessionId}</span> <CopyButton text={env.deviceSessionId} what="device_session_id" testId="copy-request-device-session-id" /></>],
            ["message_type", env.messageType],
            ["timestamp_ms", ts(env.timestampMs)],
            ["request_id", <><span data-testid="request-id">{env.requestId}</span> <CopyButton text={env.requestId} what="request_id" /></>],
            ["payload_hash", <><span className="mono hex">{groupedHex(env.payloadHash)}</span> <CopyButton text={toHex(env.payloadHash)} what="payload_hash (hex)" testId="copy-request-payload-hash" /></>],
            [
              "payload_bytes",
              <>
                <span className="dim">{outcome.signed.payloadBytes.length} bytes </span>
                {new TextDecoder().decode(outcome.signed.payloadBytes.slice(0, 400))}
              </>,
            ],
          ]}
        />
        <h3>Signing input</h3>
        <SigningInputView input={requestSegments(env)} testId="signing-input" />
        <h3>Signature <CopyButton text={toHex(outcome.signed.signature)} what="the request signature (hex)" testId="copy-request-signature" /></h3>
        <div className="mono hex block" data-testid="request-signature">
          {groupedHex(outcome.signed.signature)}
        </div>
        <CopyAs device={outcome.device} messageType={env.messageType} payload={outcome.signed.payloadBytes} />
      </Panel>
      <Panel
        title={res ? "Response" : "Rejected"}
        actions={<span className="dim small">{outcome.elapsedMs.toFixed(1)} ms</span>}
      >
        {outcome.rejection && <RejectionView rejection={outcome.rejection} testId="command-rejection" />}
        {res && renv && (
          <>
            <div className="result-head">
              <span className={`result-code ${renv.resultCode === "ok" ? "ok" : "warn"}`} data-testid="result-code">
                {renv.resultCode}
              </span>
              {outcome.verification && <VerifyBadge verification={outcome.verification} testId="response-verification" />}
            </div>
            <KeyValues
              testId="response-envelope"
              rows={[
                ["protocol_version", renv.protocolVersion],
                ["device_session_id", <><span data-testid="response-device-session-id">{renv.deviceSessionId}</span> <CopyButton text={renv.deviceSessionId} what="device_session_id" testId="copy-response-device-session-id" /></>],
                ["request_id", <><span data-testid="response-request-id">{renv.requestId}</span> <CopyButton text={renv.requestId} what="request_id" testId="copy-response-request-id" /></>],
                ["timestamp_ms", ts(renv.timestampMs)],
                ["result_code", renv.resultCode],
                ["payload_hash", <><span className="mono hex" data-testid="response-payload-hash">{groupedHex(renv.payloadHash)}</span> <CopyButton text={toHex(renv.payloadHash)} what="payload_hash (hex)" testId="copy-response-payload-hash" /></>],
              ]}
            />
            <h3>Payload</h3>
            <pre className="mono payload" data-testid="response-payload">
              {prettyPayload(res.payloadBytes)}
            </pre>
            <h3>Signature <CopyButton text={toHex(res.signature)} what="the response signature (hex)" testId="copy-response-signature" /></h3>
            <div className="mono hex block" data-testid="response-signature">{groupedHex(res.signature)}</div>
            <details>
              <summary>Response signing input (what the gateway signed)</summary>
              <SigningInputView input={responseSegments(renv)} testId="response-signing-input" />
            </details>
          </>
        )}
      </Panel>
    </div>
  );
}
