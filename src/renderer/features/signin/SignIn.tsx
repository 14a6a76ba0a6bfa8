// Sign in with an email code, then open a device session bound to a fresh Ed25519 key.
import { useState } from "react";
import { toBase64Url, toHex } from "../../../shared/bytes.js";
import { generateSeed, publicKeyFromSeed } from "../../../shared/ed25519.js";
import { EMAIL_CODE_PATTERN } from "../../../shared/protocol.js";
import { Panel } from "../../components/Panel.js";
import { describeError } from "../../services/http.js";
import { useServices } from "../../state/context.js";
import { DeviceList } from "./DeviceList.js";
import { Mailbox } from "./Mailbox.js";

type Status = { kind: "info" | "ok" | "error"; text: string } | undefined;

export function SignIn({ visible }: { visible: boolean }) {
  const { rest, app, bridge } = useServices();
  const [email, setEmail] = useState("");
  const [challengeId, setChallengeId] = useState("");
  const [code, setCode] = useState("");
  const [busy, setBusy] = useState(false);
  const [status, setStatus] = useState<Status>();
  const [sent, setSent] = useState(0);

  const send = async () => {
    setBusy(true);
    setStatus(undefined);
    try {
      const r = await rest.sendEmailCode(email.trim());
      setChallengeId(r.challenge_id);
      setCode("");
      setSent((n) => n + 1);
      setStatus({ kind: "info", text: `Code sent to ${email.trim()} — see the inbox.` });
    } catch (e) {
      setStatus({ kind: "error", text: describeError(e) });
    } finally {
      setBusy(false);
    }
  };

  /** Confirms `challenge` with `withCode` (the form's, or a mailbox code picked with "use code"). */
  const confirm = async (challenge = challengeId, withCode = code.trim(), forEmail = email.trim()) => {
    setBusy(true);
    setStatus(undefined);
    try {
      const info = await rest.gatewayInfo();
      const seed = generateSeed();
      const publicKey = toBase64Url(publicKeyFromSeed(seed));
      const r = await rest.confirmEmailCode(challenge, withCode, publicKey);
      app.addDevice({
        deviceSessionId: r.device_session_id,
        userId: r.user_id,
        email: forEmail,
        seedHex: toHex(seed),
        gatewayKey: info.response_signing_public_key,
        createdAtMs: Date.now(),
      });
      setStatus({ kind: "ok", text: `Signed in as ${r.user_id} — device session ${r.device_session_id} is now active.` });
      setSent((n) => n + 1); // the inbox shows the code as used at once
      setChallengeId("");
      setCode("");
    } catch (e) {
      setStatus({ kind: "error", text: describeError(e) });
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="grid two">
      <div className="stack">
        <Panel title="Sign in with an email code">
          <form
            className="form"
            onSubmit={(e) => {
              e.preventDefault();
              void send();
            }}
          >
            <label className="field-label" htmlFor="signin-email">Email</label>
            <div className="row">
              <input
                id="signin-email"
                type="email"
                placeholder="pilot@example.com"
                value={email}
                data-testid="signin-email"
                onChange={(e) => setEmail(e.target.value)}
              />
              <button type="submit" className="primary" data-testid="send-code" disabled={busy || !email.trim()}>
                Send code
              </button>
            </div>
          </form>
          <form
            className="form"
            onSubmit={(e) => {
              e.preventDefault();
              void confirm();
            }}
          >
            <label className="field-label" htmlFor="signin-code">6-digit code</label>
            <div className="row">
              <input
                id="signin-code"
                className="mono"
                inputMode="numeric"
                maxLength={6}
                placeholder="000000"
                value={code}
                data-testid="signin-code"
                onChange={(e) => setCode(e.target.value)}
              />
              <button type="submit" className="primary" data-testid="confirm-code" disabled={busy || !challengeId || !EMAIL_CODE_PATTERN.test(code.trim())}>
                Confirm
              </button>
            </div>
            <div className="dim small">
              {challengeId ? (
                <>challenge <span className="mono">{challengeId}</span></>
              ) : (
                "Send a code first (or pick one from the inbox)."
              )}
            </div>
          </form>
          {status && (
            <div className={`status ${status.kind}`} data-testid="signin-status" data-kind={status.kind}>
              {status.text}
            </div>
          )}
          <p className="dim small">
            Confirming generates a new Ed25519 device key in this {bridge.host === "electron" ? "app" : "browser"} and pins the
            gateway's response-signing key from <span className="mono">/api/v1/public/gateway/info</span>.
          </p>
        </Panel>
        <DeviceList />
      </div>
      <Mailbox
        email={email}
        visible={visible}
        refresh={sent}
        busy={busy}
        onUse={(m) => {
          // One click signs in (README): fill the form so it shows what was sent, and confirm.
          setEmail(m.email);
          setChallengeId(m.challenge_id);
          setCode(m.code);
          void confirm(m.challenge_id, m.code, m.email);
        }}
      />
    </div>
  );
}
