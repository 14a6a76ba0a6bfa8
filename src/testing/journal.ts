// journal.find: the testing kit's verify API (WireMock's `verify`): which calls reached the gateway,
// with each stage's verdict, filtered on the fields a test asserts on.
import type { JournalEntry, StageName } from "../shared/protocol.js";
import type { ControlPlane } from "./control-plane.js";

export interface JournalFilter {
  rpc?: JournalEntry["rpc"];
  protocol?: JournalEntry["protocol"];
  messageType?: string;
  deviceSessionId?: string;
  /** Shorthand for deviceSessionId: the calls of this SDK client's device. */
  client?: { device: { deviceSessionId: string } | undefined };
  requestId?: string;
  /** Connect code name as the journal spells it: "ok", "unauthenticated", … */
  code?: string;
  /** GatewayError.reason of a rejection: "invalid_signature", … */
  reason?: string;
  /** result_code of an answered call: "ok" or a business error code. */
  resultCode?: string;
  /** The stage that rejected the call. */
  failedStage?: StageName;
  /** Entries after this journal seq only (e.g. the last seq seen before the step under test). */
  afterSeq?: number;
}

/**
 * The journal keeps the latest 5 000 calls (src/gateway/journal.ts) and answers at most 1 000 per page;
 * reading it all is at most a handful of local requests.
 */
export async function readJournal(control: ControlPlane, afterSeq = 0): Promise<JournalEntry[]> {
  const all: JournalEntry[] = [];
  let after = afterSeq;
  for (;;) {
    const page = await control.journal(after);
    if (page.length === 0) return all;
    all.push(...page);
    after = page[page.length - 1]!.seq;
  }
}

const FILTER_KEYS: readonly string[] = [
  "rpc",
  "protocol",
  "messageType",
  "deviceSessionId",
  "client",
  "requestId",
  "code",
  "reason",
  "resultCode",
  "failedStage",
  "afterSeq",
] satisfies (keyof JournalFilter)[];

/** A misspelt key would otherwise filter on nothing and match every call: a verify that cannot fail. */
export function checkFilter(filter: JournalFilter): void {
  const unknown = Object.keys(filter).filter((key) => !FILTER_KEYS.includes(key));
  if (unknown.length > 0) throw new TypeError(`journal filter: unknown key ${unknown.map((k) => JSON.stringify(k)).join(", ")} (known: ${FILTER_KEYS.join(", ")})`);
}

export function matches(entry: JournalEntry, filter: JournalFilter): boolean {
  const session = filter.deviceSessionId ?? filter.client?.device?.deviceSessionId;
  if (filter.client && !filter.client.device) throw new TypeError("journal filter: the client is not signed in");
  return (
    (filter.rpc === undefined || entry.rpc === filter.rpc) &&
    (filter.protocol === undefined || entry.protocol === filter.protocol) &&
    (filter.messageType === undefined || entry.message_type === filter.messageType) &&
    (session === undefined || entry.device_session_id === session) &&
    (filter.requestId === undefined || entry.request_id === filter.requestId) &&
    (filter.code === undefined || entry.code === filter.code) &&
    (filter.reason === undefined || entry.reason === filter.reason) &&
    (filter.resultCode === undefined || entry.result_code === filter.resultCode) &&
    (filter.failedStage === undefined || entry.stages.some((s) => s.stage === filter.failedStage && !s.ok))
  );
}
