// The fault presets of the Stubs & faults tab: the failures a game client meets most, one switch each.
// A preset is a fault with a fixed id, so its switch reads its state from GET /emulator/v1/faults (a
// second console sees it), turns on by POSTing it (the same id replaces it) and off by DELETE.

export interface FaultPreset {
  /** The fault's id on the gateway, and what the switch is known by. */
  id: string;
  label: string;
  /** What a client sees while it is on. */
  effect: string;
  /** The fault body; `messageType` is the command a per-command preset targets. */
  fault(messageType: string): Record<string, unknown>;
  /** The preset applies to one message type, picked next to its switch. */
  perCommand?: boolean;
}

export const FAULT_PRESETS: readonly FaultPreset[] = [
  {
    id: "preset-slow-backend",
    label: "Slow backend, 500 ms",
    effect: "every backend call (commands, session lookups, sign-in) waits 500 ms first",
    fault: () => ({ target: "backend", latency_ms: 500 }),
  },
  {
    id: "preset-command-errors",
    label: "10% errors on a command",
    effect: "about 1 call in 10 of this type fails UNAVAILABLE injected_fault",
    perCommand: true,
    fault: (messageType) => ({ target: "execute", message_type: messageType, probability: 0.1, error: { code: "unavailable" } }),
  },
  {
    id: "preset-cut-streams",
    label: "Cut streams after 3 events",
    effect: "each event stream ends UNAVAILABLE injected_fault instead of its 4th event",
    fault: () => ({ target: "subscribe", cut_after_events: 3 }),
  },
  {
    id: "preset-backend-outage",
    label: "Backend outage",
    effect: "every backend call is refused (UNAVAILABLE backend_unavailable) and the push stream cut, until off",
    fault: () => ({ target: "backend", outage: true }),
  },
];
