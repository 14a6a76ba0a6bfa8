// The gateway's response-signing key: show, export, copy, rotate.
import { useState } from "react";
import { fromBase64Url, toHex } from "../../../shared/bytes.js";
import { ConfirmButton } from "../../components/ConfirmButton.js";
import { Panel } from "../../components/Panel.js";
import { groupedHex } from "../../lib/segments.js";
import { describeError } from "../../services/http.js";
import { useApp, useGatewayInfo, useServices } from "../../state/context.js";

function hexOf(b64: string): string {
  try {
    return toHex(fromBase64Url(b64));
  } catch {
    return "(not valid base64url)";
  }
}

export function GatewayKey() {
  const app = useApp();
  const services = useServices();
  const key = useGatewayInfo().info?.response_signing_public_key;
  const [note, setNote] = useState<string>();
  /** Set by a rotation: the note then counts the devices still on the old key as they are now. */
  const [rotated, setRotated] = useState(false);

  const exportText = () =>
    `Galaxy gateway response-signing public key (Ed25519)\norigin: ${location.origin}\nexported: ${new Date().toISOString()}\nbase64url: ${key}\nhex: ${key ? hexOf(key) : ""}\n`;

  const download = () => {
    const url = URL.createObjectURL(new Blob([exportText()], { type: "text/plain" }));
    const a = document.createElement("a");
    a.href = url;
    a.download = "gateway-public-key.txt";
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  };

  const copy = async () => {
    try {
      await navigator.clipboard.writeText(key ?? "");
      setNote("Copied the base64url key.");
    } catch (e) {
      setNote(`Copy failed: ${String(e)}`);
    }
  };

  const rotate = async () => {
    try {
      await services.control.rotateGatewayKey();
      await services.gatewayInfo.refresh();
      setNote(undefined);
      setRotated(true);
    } catch (e) {
      setRotated(false);
      setNote(describeError(e));
    }
  };

  const stale = key ? app.devices.filter((d) => d.gatewayKey !== key) : [];
  return (
    <Panel title="Gateway response-signing key">
      {key ? (
        <dl className="kv">
          <div className="kv-row">
            <dt>base64url</dt>
            <dd className="mono" data-testid="gateway-key-b64">{key}</dd>
          </div>
          <div className="kv-row">
            <dt>hex</dt>
            <dd className="mono hex" data-testid="gateway-key-hex">{groupedHex(fromBase64UrlSafe(key))}</dd>
          </div>
        </dl>
      ) : (
        <div className="dim">Fetching /api/v1/public/gateway/info…</div>
      )}
      <div className="row">
        <button type="button" data-testid="gateway-key-export" disabled={!key} onClick={download}>
          Export public key (.txt)
        </button>
        <button type="button" data-testid="gateway-key-copy" disabled={!key} onClick={() => void copy()}>
          Copy
        </button>
        <span className="grow" />
        <ConfirmButton testId="gateway-key-rotate" confirmLabel="Rotate now?" onConfirm={() => void rotate()}>
          Rotate key
        </ConfirmButton>
      </div>
      {stale.length > 0 && key && (
        <div className="row">
          <span className="warn-text small">{stale.length} device(s) pin an older key.</span>
          <button type="button" className="link" data-testid="gateway-key-repin" onClick={() => stale.forEach((d) => services.app.updateDevice(d.deviceSessionId, { gatewayKey: key }))}>
            re-pin all to the current key
          </button>
        </div>
      )}
      {(note ?? rotated) && (
        <div className="small" data-testid="gateway-key-note">
          {note ??
            (stale.length > 0
              ? `Rotated. ${stale.length} device(s) still pin the old key: their responses fail verification (✗) until re-pinned.`
              : "Rotated; every device pins the current key.")}
        </div>
      )}
    </Panel>
  );
}

function fromBase64UrlSafe(b64: string): Uint8Array {
  try {
    return fromBase64Url(b64);
  } catch {
    return new Uint8Array(0);
  }
}
