// What a fault is (the body of POST /emulator/v1/faults, a `--faults FILE`): validated with zod, one
// strict schema per target, so an unknown key, a field of another target or a bad value is refused with
// the JSON path of the first problem (`$[1].error.code: …`) and nothing is applied.
import { z } from "zod";
import { REQUEST_ID_PATTERN } from "../../shared/protocol.js";
import { codeByName, CONNECT_CODE_NAMES } from "../code-names.js";

/**
 * The longest injected latency (latency_ms + jitter_ms). A minute is longer than any default deadline
 * (the backend's 5 s, a client's own), so every slowness worth testing fits; beyond it a delay only
 * holds a timer and a call open for nothing.
 */
export const MAX_FAULT_LATENCY_MS = 60_000;
/**
 * Faults held by one gateway. Every call scans them in order (a few ns each when the filters differ),
 * so the bound keeps that scan well under a microsecond per hundred and the list's memory small; a
 * test suite needs a handful.
 */
export const MAX_FAULTS = 1_000;

/** An integer in [min, max]; every way of missing that (a string, 1.5, out of range) says the same words. */
function integer(min: number, max: number) {
  const rule = `must be an integer from ${min} to ${max}`;
  return z.number({ error: rule }).int(rule).min(min, rule).max(max, rule);
}

const id = z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, "must be 1..64 chars of [A-Za-z0-9._-]");
const probability = z.number({ error: "must be a number > 0 and <= 1" }).gt(0, "must be > 0 and <= 1").max(1, "must be > 0 and <= 1");
const delay = integer(0, MAX_FAULT_LATENCY_MS);

/** Fields every target shares: the id, the filters, the draw and the count. */
const common = {
  id: id.optional(),
  user_id: z.string().min(1).max(128).optional(),
  device_session_id: z.string().min(1).max(128).optional(),
  probability: probability.optional(),
  /** uint32: the PRNG's whole state (prng.ts). */
  seed: integer(0, 0xffff_ffff).optional(),
  times: integer(1, 1_000_000_000).optional(),
  latency_ms: delay.optional(),
  jitter_ms: delay.optional(),
};
const messageType = z.string().regex(/^[A-Za-z0-9._-]{1,128}$/, "must be 1..128 chars of [A-Za-z0-9._-]");

const codeName = z
  .string()
  .refine((name) => codeByName(name) !== undefined, { message: `must be a Connect code name: ${CONNECT_CODE_NAMES.join(", ")}` });

const executeFault = z.strictObject({
  target: z.literal("execute"),
  ...common,
  message_type: messageType.optional(),
  error: z
    .strictObject({
      code: codeName,
      // A GatewayError.reason: the same characters the gateway's own reasons use.
      reason: z.string().regex(REQUEST_ID_PATTERN, "must be 1..128 chars of [A-Za-z0-9._:-]").optional(),
    })
    .optional(),
});

const backendFault = z.strictObject({
  target: z.literal("backend"),
  ...common,
  message_type: messageType.optional(),
  /** The status the backend "answers" (no call is made): 5xx → backend_unavailable, 4xx → a business error. */
  status: integer(400, 599).optional(),
  outage: z.literal(true).optional(),
});

const subscribeFault = z.strictObject({
  target: z.literal("subscribe"),
  ...common,
  cut_after_events: integer(0, 1_000_000_000).optional(),
  cut_with: z.enum(["unavailable", "reset"]).optional(),
  duplicate_events: probability.optional(),
  drop_events: probability.optional(),
});

export type ExecuteFaultSpec = z.output<typeof executeFault>;
export type BackendFaultSpec = z.output<typeof backendFault>;
export type SubscribeFaultSpec = z.output<typeof subscribeFault>;
export type FaultSpec = ExecuteFaultSpec | BackendFaultSpec | SubscribeFaultSpec;
export type FaultTarget = FaultSpec["target"];
/** A fault as it is given (one, or an array). */
export type FaultInput = z.input<typeof executeFault> | z.input<typeof backendFault> | z.input<typeof subscribeFault>;

const SCHEMAS = { execute: executeFault, backend: backendFault, subscribe: subscribeFault } as const;

type Path = readonly PropertyKey[];

/** A refused fault: the JSON path of the first problem and the rule it broke. */
export class FaultError extends Error {
  constructor(
    readonly path: Path,
    readonly reason: string,
  ) {
    super(`${jsonPath(path)}: ${reason}`);
  }
}

/** `$[1].error.code`; `$` for the whole body. */
export function jsonPath(path: Path): string {
  let out = "$";
  for (const segment of path) out += typeof segment === "number" ? `[${segment}]` : `.${String(segment)}`;
  return out;
}

/** One fault or an array of them, validated as a whole; throws FaultError for the first problem. */
export function parseFaults(value: unknown): FaultSpec[] {
  if (!Array.isArray(value)) return [parseFault(value, [])];
  if (value.length === 0) throw new FaultError([], "an array of faults must not be empty");
  if (value.length > MAX_FAULTS) throw new FaultError([], `at most ${MAX_FAULTS} faults`);
  return value.map((item, i) => parseFault(item, [i]));
}

function parseFault(value: unknown, at: Path): FaultSpec {
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new FaultError(at, "a fault must be a JSON object");
  const target = (value as { target?: unknown }).target;
  if (typeof target !== "string" || !Object.hasOwn(SCHEMAS, target)) {
    throw new FaultError([...at, "target"], 'must be "execute", "backend" or "subscribe"');
  }
  const parsed = SCHEMAS[target as FaultTarget].safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    // An unknown key is reported at the key itself, not at the object holding it.
    const keys = issue.code === "unrecognized_keys" ? [issue.keys[0]!] : [];
    const reason = issue.code === "unrecognized_keys" ? `not a field of a "${target}" fault` : issue.message;
    throw new FaultError([...at, ...issue.path, ...keys], reason);
  }
  const problem = shapeProblem(parsed.data);
  if (problem) throw new FaultError([...at, problem[0]], problem[1]);
  return parsed.data;
}

/** Rules across fields: a fault must do something, and the fields that go together do. */
function shapeProblem(f: FaultSpec): [string, string] | undefined {
  if (f.jitter_ms !== undefined && f.latency_ms === undefined) return ["jitter_ms", "goes with latency_ms"];
  if ((f.latency_ms ?? 0) + (f.jitter_ms ?? 0) > MAX_FAULT_LATENCY_MS) {
    return ["jitter_ms", `latency_ms + jitter_ms must be at most ${MAX_FAULT_LATENCY_MS}`];
  }
  switch (f.target) {
    case "execute":
      if (f.latency_ms === undefined && !f.error) return ["error", "an execute fault needs latency_ms and/or error"];
      return undefined;
    case "backend":
      if (f.outage) {
        // The whole link is down or it is not: a filtered or probable outage would be a flaky call,
        // which `status` with a probability already is.
        for (const field of ["message_type", "user_id", "device_session_id", "probability", "seed", "times", "latency_ms", "status"] as const) {
          if (f[field] !== undefined) return [field, "an outage takes the whole backend link down: it has no filters, draws, count, latency or status"];
        }
        return undefined;
      }
      if (f.latency_ms === undefined && f.status === undefined) return ["status", "a backend fault needs latency_ms, status or outage"];
      return undefined;
    case "subscribe":
      if (f.cut_with !== undefined && f.cut_after_events === undefined) return ["cut_with", "goes with cut_after_events"];
      if (f.latency_ms === undefined && f.cut_after_events === undefined && !f.duplicate_events && !f.drop_events) {
        return ["cut_after_events", "a subscribe fault needs latency_ms, cut_after_events, duplicate_events or drop_events"];
      }
      return undefined;
  }
}
