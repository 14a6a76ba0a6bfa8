// The one place the order of §4 is written down: each RPC is a list of stages run in sequence,
// stopping at the first rejection. Every stage's verdict and time go to the journal.
import type { JournalStage } from "../shared/protocol.js";
import type { BackendRestClient } from "./backend/rest-client.js";
import type { SessionLookup } from "./backend/session-lookup.js";
import type { StubTypes } from "./backend/stub-types.js";
import type { LiveConfig } from "./config.js";
import type { FaultSet } from "./faults/fault-set.js";
import { faultStage } from "./faults/fault-stage.js";
import type { BucketStore } from "./rate-limiter.js";
import type { ReplayGuard } from "./replay-store.js";
import type { Ed25519Verifier } from "./signing/ed25519-node.js";
import { backendStage } from "./stages/backend.js";
import { envelopeStage } from "./stages/envelope.js";
import { freshnessStage } from "./stages/freshness.js";
import { payloadHashStage } from "./stages/payload-hash.js";
import { rateLimitStage } from "./stages/rate-limit.js";
import { replayStage } from "./stages/replay.js";
import { routingStage } from "./stages/routing.js";
import { sessionStage } from "./stages/session.js";
import { signatureStage } from "./stages/signature.js";
import { abortRejection, GatewayRejection, type GatewayCall, type Stage } from "./stages/stage.js";
import type { TurnBudget } from "./loop-turn.js";

export interface PipelineDeps {
  config: LiveConfig;
  sessions: SessionLookup;
  verifier: Ed25519Verifier;
  replay: ReplayGuard;
  limiter: BucketStore;
  backend: BackendRestClient;
  /** The message types the backend has stubs for (routed when the table has no route for them). */
  stubTypes?: StubTypes;
  /** The backend calls' deadline: how late a call can reach the replay stage (stages/replay.ts). */
  backendTimeoutMs: number;
  /** Injected faults (emulator-only): the fault stage runs once every check of §4 has passed. */
  faults: FaultSet;
}

export interface Pipelines {
  executeCommand: readonly Stage[];
  subscribeEvents: readonly Stage[];
}

export function buildPipelines(deps: PipelineDeps): Pipelines {
  const authenticate: Stage[] = [
    envelopeStage,
    sessionStage(deps.sessions),
    payloadHashStage,
    signatureStage(deps.verifier),
    freshnessStage(deps.config),
    replayStage(deps.replay, deps.config, deps.backendTimeoutMs),
    rateLimitStage(deps.limiter, deps.config),
  ];
  const fault = faultStage(deps.faults);
  return {
    executeCommand: [...authenticate, routingStage(deps.config, deps.stubTypes), fault, backendStage(deps.backend)],
    subscribeEvents: [...authenticate, fault], // §5: "envelope to rate_limit", then the faults
  };
}

export interface PipelineOutcome {
  stages: JournalStage[];
  rejection?: GatewayRejection;
}

/**
 * Runs the stages in order; a stage that throws something other than a rejection is a bug and rethrows.
 * A stage that passes after the call was aborted fails there (abortRejection): deadline_exceeded when its
 * deadline ran out, so the journal shows where the time went; client_cancelled when the client went, so
 * a call nobody waits for spends no replay reservation, rate-limit token or backend call.
 */
export async function runPipeline(stages: readonly Stage[], call: GatewayCall, newCalls: TurnBudget): Promise<PipelineOutcome> {
  // A new call starts only while this turn of the event loop has budget left (loop-turn.ts); the
  // budget is the gateway's own (startGateway), so two gateways in one process do not share one.
  const waiting = newCalls.wait();
  if (waiting) await waiting;
  const journal: JournalStage[] = [];
  for (const stage of stages) {
    const started = performance.now();
    let rejection: GatewayRejection | undefined;
    try {
      // Awaited only when the stage answered a promise: most stages are synchronous (the session stage
      // too on a cache hit), and an await of a plain value still costs a promise and a microtask turn,
      // ~7 of them a call (bench/README.md, issue 11).
      const verdict = stage.run(call);
      // An idle stage did nothing and took no time: the journal leaves it out, the next stage sees any abort.
      if ((verdict instanceof Promise ? await verdict : verdict) === "idle") continue;
    } catch (err) {
      if (!(err instanceof GatewayRejection)) throw err;
      rejection = err;
    }
    if (!rejection && call.signal.aborted) rejection = abortRejection(call, stage.name);
    const ms = roundMs(performance.now() - started);
    if (rejection) {
      journal.push({ stage: stage.name, ok: false, ms, reason: rejection.reason });
      return { stages: journal, rejection };
    }
    journal.push({ stage: stage.name, ok: true, ms });
  }
  return { stages: journal };
}

/**
 * Work a turn of the event loop may spend starting new calls before the rest wait for the next turn
 * (about 15 to 20 ExecuteCommand checks). The bench (64 calls on one HTTP/2 connection) ran at the
 * same rate with budgets of 2 to 5 ms; never yielding cost a fifth of the rate, 0.5 ms about as much.
 */
export const TURN_BUDGET_MS = 3;

/** A stage's time as the journal shows it: to the microsecond. */
export function roundMs(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
