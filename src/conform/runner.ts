// Runs the checks against one target: the REST checks once, then every RPC check over each selected
// protocol, one at a time (calls in parallel could trip the target's rate limits, which would be the
// run's doing, not the gateway's). Bounded twice: each check by its timeout, the whole run by a time
// limit after which the checks left are failed as not run. Nothing is left open when it resolves.
import { ConnectError } from "@connectrpc/connect";
import { CheckFailed } from "./check-failed.js";
import { CHECKS, type Check, type Device, type Need, type RunState } from "./checks.js";
import { protocolClient, type Protocol, type ProtocolClient } from "./protocols.js";
import { describeRejection, oneLine } from "./rpc.js";
import { target as targetOf, type ControlPlane } from "./target.js";

/**
 * Default per-check timeout. A check makes at most four round trips and waits for one pushed event;
 * on loopback each takes milliseconds (a whole run against the emulator, 41 checks, took 1.1–3.1 s on
 * a loaded 2-core machine), so 10 s is room for a remote gateway and a slow CI runner, not for a hung one.
 */
export const DEFAULT_CHECK_TIMEOUT_MS = 10_000;
/**
 * Default time limit of the whole run: a dozen checks may time out before it stops the run, so a
 * gateway that hangs on everything costs a CI job two minutes, not the 41 × 10 s the timeouts allow.
 */
export const DEFAULT_TIME_LIMIT_MS = 120_000;

export interface ConformOptions {
  target: string;
  protocols: readonly Protocol[];
  /** The emulator control plane's bearer token, if it has one. */
  controlToken?: string;
  /** A device session on the target (--device-key FILE --session ID). */
  device?: Device;
  /** A routed message type that reads and changes nothing; default user.profile.get. */
  messageType?: string;
  checkTimeoutMs?: number;
  timeLimitMs?: number;
}

export type Outcome = "pass" | "fail" | "skip";

export interface CheckResult {
  id: string;
  title: string;
  /** "rest" for the protocol-independent checks. */
  protocol: Protocol | "rest";
  outcome: Outcome;
  /** One line: why it failed or was skipped, or what passed. */
  reason: string;
  ms: number;
}

export interface ConformReport {
  target: string;
  protocols: readonly Protocol[];
  controlPlane: ControlPlane;
  results: CheckResult[];
  ms: number;
}

export const DEFAULT_MESSAGE_TYPE = "user.profile.get";

class CheckTimeout extends Error {}

export async function runConformance(options: ConformOptions): Promise<ConformReport> {
  const started = Date.now();
  const checkTimeoutMs = options.checkTimeoutMs ?? DEFAULT_CHECK_TIMEOUT_MS;
  const deadline = started + (options.timeLimitMs ?? DEFAULT_TIME_LIMIT_MS);
  const target = targetOf(options.target, options.controlToken);
  const limitFor = () => Math.min(checkTimeoutMs, deadline - Date.now());

  const controlPlane = await bounded(limitFor(), (signal) => target.probeControlPlane(signal)).catch(
    (err: unknown): ControlPlane => ({ state: "absent", why: reasonOf(err) }),
  );
  const state: RunState = {
    target,
    controlPlane,
    messageType: options.messageType ?? DEFAULT_MESSAGE_TYPE,
    device: options.device,
    noDevice: "needs a device session: give --device-key FILE --session ID (or run against an emulator, which signs one in)",
  };

  const results: CheckResult[] = [];
  const runOne = async (check: Check, protocol: Protocol | "rest", client?: ProtocolClient): Promise<void> => {
    const base = { id: check.id, title: check.title, protocol };
    const skip = skipReason(check.needs, state);
    if (skip !== undefined) return void results.push({ ...base, outcome: "skip", reason: skip, ms: 0 });
    const limit = limitFor();
    if (limit <= 0) {
      return void results.push({ ...base, outcome: "fail", reason: `not run: the run's time limit (${options.timeLimitMs ?? DEFAULT_TIME_LIMIT_MS} ms) was reached`, ms: 0 });
    }
    const t0 = performance.now();
    try {
      const note = await bounded(limit, (signal) => check.run({ state, client, signal }));
      results.push({ ...base, outcome: "pass", reason: oneLine(note), ms: performance.now() - t0 });
    } catch (err) {
      const reason = err instanceof CheckTimeout ? `timed out after ${limit} ms` : reasonOf(err);
      results.push({ ...base, outcome: "fail", reason: oneLine(reason), ms: performance.now() - t0 });
    }
  };

  for (const check of CHECKS.filter((c) => c.scope === "rest")) await runOne(check, "rest");
  if (state.controlPlane.state === "present" && state.mailboxDevice === undefined && state.device === undefined) {
    state.noDevice = "blocked: sign-in through the mailbox failed";
  }
  for (const protocol of options.protocols) {
    const client = protocolClient(protocol, target.url);
    try {
      for (const check of CHECKS.filter((c) => c.scope === "rpc")) await runOne(check, protocol, client);
    } finally {
      client.close();
    }
  }
  return { target: target.url, protocols: options.protocols, controlPlane, results, ms: Date.now() - started };
}

function skipReason(needs: Need[], state: RunState): string | undefined {
  for (const need of needs) {
    if (need === "control" && state.controlPlane.state !== "present") return `needs an emulator control plane: ${state.controlPlane.why}`;
    if (need === "info" && state.info === undefined) return "blocked: gateway info failed";
    if (need === "device" && state.device === undefined) return state.noDevice;
    if (need === "mailbox-device" && state.mailboxDevice === undefined) return "blocked: sign-in through the mailbox failed";
  }
  return undefined;
}

/**
 * Runs `work` with a signal aborted after `limitMs` (and once it settles, which ends any stream it
 * left open). Settles by the limit even if `work` ignores the signal.
 */
async function bounded<T>(limitMs: number, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new CheckTimeout()), limitMs);
  const timedOut = new Promise<never>((_, reject) => controller.signal.addEventListener("abort", () => reject(controller.signal.reason), { once: true }));
  timedOut.catch(() => {}); // observed by the race; after the race it rejects with nobody listening
  try {
    const running = work(controller.signal);
    running.catch(() => {}); // if the limit wins, its later failure is of no interest
    return await Promise.race([running, timedOut]);
  } catch (err) {
    if (controller.signal.reason instanceof CheckTimeout) throw controller.signal.reason;
    throw err;
  } finally {
    clearTimeout(timer);
    controller.abort(new Error("check finished"));
  }
}

function reasonOf(err: unknown): string {
  if (err instanceof CheckFailed) return err.message;
  if (err instanceof ConnectError) return `unexpected ${describeRejection(err)}`;
  return err instanceof Error ? err.message : String(err);
}
