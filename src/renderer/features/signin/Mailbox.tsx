// The mock inbox: codes the mock backend "sent", polled from the control plane.
import { useEffect, useState } from "react";
import type { MailboxMessage } from "../../../shared/protocol.js";
import { Empty, Panel } from "../../components/Panel.js";
import { clockTime, shortId } from "../../components/util.js";
import { describeError } from "../../services/http.js";
import { useServices } from "../../state/context.js";

const POLL_MS = 1500;

/** The backend's word on the code (the same for every browser): used, expired, or still usable. */
function stateOf(m: MailboxMessage): "used" | "expired" | "unused" {
  return m.used ? "used" : m.expired ? "expired" : "unused";
}

export function Mailbox(props: {
  email: string;
  visible: boolean;
  /** A sign-in is under way: no second "use code" meanwhile. */
  busy: boolean;
  /** Changes when a code was just sent: poll at once. */
  refresh: number;
  onUse(m: MailboxMessage): void;
}) {
  const { email, visible, busy, refresh, onUse } = props;
  const { control } = useServices();
  const [messages, setMessages] = useState<MailboxMessage[]>([]);
  const [error, setError] = useState<string>();

  useEffect(() => {
    if (!visible) return;
    const abort = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const poll = async () => {
      try {
        const list = await control.getMailbox(email.trim() || undefined, abort.signal);
        setMessages(list.slice(-20).reverse());
        setError(undefined);
      } catch (e) {
        if (!abort.signal.aborted) setError(describeError(e));
      }
      if (!abort.signal.aborted) timer = setTimeout(poll, POLL_MS);
    };
    void poll();
    return () => {
      abort.abort();
      clearTimeout(timer);
    };
  }, [email, visible, refresh, control]);

  return (
    <Panel title="Mock inbox" testId="mailbox" actions={<span className="dim small">{email.trim() ? `for ${email.trim()}` : "all addresses"}</span>}>
      {error && <div className="bad-text small">{error}</div>}
      {messages.length === 0 ? (
        <Empty>No codes yet. Send one and it appears here.</Empty>
      ) : (
        <ul className="mail-list">
          {messages.map((m) => (
            <li key={`${m.challenge_id}-${m.sent_at_ms}`} className="mail" data-testid="mailbox-message" data-email={m.email} data-state={stateOf(m)}>
              <div className="mail-meta">
                <span>{m.email}</span>
                <span className="dim small">
                  {clockTime(m.sent_at_ms)} · challenge {shortId(m.challenge_id)}
                </span>
              </div>
              <div className="mail-code">
                <span className="mono big" data-testid="mailbox-code">
                  {m.code}
                </span>
                {stateOf(m) === "unused" ? (
                  <button type="button" data-testid="use-code" disabled={busy} onClick={() => onUse(m)}>
                    use code
                  </button>
                ) : (
                  <span className="tag" data-testid="mailbox-state">
                    {stateOf(m)}
                  </span>
                )}
              </div>
            </li>
          ))}
        </ul>
      )}
    </Panel>
  );
}
