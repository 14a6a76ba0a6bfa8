// The gateway's live settings (§7 `/emulator/v1/config`): validated with zod on every change and
// read by the stages on every call, so a PATCH takes effect on the next request. `parseSettings` is
// the one validation of settings however they enter (PATCH, the LiveConfig constructor, startGateway's
// and startEmulator's options, the CLI's flags); each caller only names the settings its own way.
import { z } from "zod";
import { BURST, CLOCK_OFFSET_MS, FRESHNESS_WINDOW_MS, integerRule, RATE_PER_S_MAX, RATE_RULE, type Range } from "../shared/config-limits.js";
import { DEFAULT_FRESHNESS_WINDOW_MS, type EmulatorConfig, type RoutingTable } from "../shared/protocol.js";
import { DEFAULT_CORS_ORIGINS, MAX_CORS_ORIGINS, normaliseOriginPattern, OriginPatternError } from "./http/cors-origins.js";

export const DEFAULT_ROUTES: RoutingTable = {
  "user.profile.get": { method: "GET", path: "profile", example: {} },
  "user.profile.update": { method: "PATCH", path: "profile", example: { display_name: "Commander Shepard" } },
  "user.sessions.list": { method: "GET", path: "sessions", example: {} },
  "user.sessions.revoke": { method: "POST", path: "sessions/revoke", example: { device_session_id: "" } },
  "game.chat.send": { method: "POST", path: "game/chat", example: { to_user_id: "", text: "o7 commander" } },
  "game.fleet.dispatch": {
    method: "POST",
    path: "game/fleets",
    example: { from_planet: "earth", to_planet: "mars", ships: 10 },
  },
};

export function defaultConfig(): EmulatorConfig {
  return {
    freshness_window_ms: DEFAULT_FRESHNESS_WINDOW_MS,
    clock_offset_ms: 0,
    backend: "mock",
    routes: structuredClone(DEFAULT_ROUTES),
    rate_limits: {
      per_ip: { rate_per_s: 200, burst: 400 },
      per_session: { rate_per_s: 20, burst: 40 },
      per_user: { rate_per_s: 40, burst: 80 },
      per_message_type: { rate_per_s: 10, burst: 20 },
    },
    public_rate_limits: {
      per_ip: { rate_per_s: 1, burst: 20 },
      per_email: { rate_per_s: 1 / 60, burst: 5 },
      per_challenge: { rate_per_s: 1 / 10, burst: 10 },
    },
    cors_origins: [...DEFAULT_CORS_ORIGINS],
  };
}

const budget = z.strictObject({
  rate_per_s: z.number({ error: RATE_RULE }).positive({ error: RATE_RULE }).max(RATE_PER_S_MAX, { error: RATE_RULE }),
  burst: integerIn(BURST),
});

const route = z.strictObject({
  method: z.enum(["GET", "POST", "PATCH", "PUT", "DELETE"]),
  // A relative path under /api/v1/user/: no scheme, no "..", no query.
  path: z
    .string()
    .regex(/^[A-Za-z0-9_-]+(\/[A-Za-z0-9_-]+)*$/, "path must be segments of [A-Za-z0-9_-] joined by '/'"),
  example: z.unknown().optional(),
});

/** The reason a bad value gets, whatever was wrong with it (type, fraction, range): the rule itself. */
function integerIn(range: Range) {
  const error = integerRule(range);
  return z.number({ error }).int({ error }).min(range.min, { error }).max(range.max, { error });
}

const backendTarget = z.union([z.literal("mock"), z.url({ protocol: /^https?$/ }).transform((u) => u.replace(/\/+$/, ""))], {
  error: 'must be "mock" or an http(s) URL',
});

/** One `cors_origins` entry, normalised (cors-origins.ts); a bad one is an issue with its message. */
const corsOrigin = z.string().transform((text, ctx) => {
  try {
    return normaliseOriginPattern(text);
  } catch (err) {
    if (!(err instanceof OriginPatternError)) throw err;
    ctx.addIssue({ code: "custom", message: err.message });
    return z.NEVER;
  }
});
const corsOrigins = z.array(corsOrigin).max(MAX_CORS_ORIGINS);

/** What PATCH accepts: any subset of the settings; rate_limits and routes merge per key. */
const configPatch = z.strictObject({
  freshness_window_ms: integerIn(FRESHNESS_WINDOW_MS).optional(),
  clock_offset_ms: integerIn(CLOCK_OFFSET_MS).optional(),
  backend: backendTarget.optional(),
  routes: z.record(z.string().regex(/^[A-Za-z0-9._-]{1,128}$/), route.nullable()).optional(),
  rate_limits: z
    .strictObject({
      per_ip: budget.optional(),
      per_session: budget.optional(),
      per_user: budget.optional(),
      per_message_type: budget.optional(),
    })
    .optional(),
  public_rate_limits: z
    .strictObject({
      per_ip: budget.optional(),
      per_email: budget.optional(),
      per_challenge: budget.optional(),
    })
    .optional(),
  // The whole list: a PATCH replaces it (an empty list grants no origin).
  cors_origins: corsOrigins.optional(),
});

/** Settings as they come in: any subset; rate_limits and routes merge per key, a route set to null is removed. */
export type SettingsPatch = z.input<typeof configPatch>;
/** Settings once validated and normalised (URL without trailing "/", origins lower-cased …). */
export type ValidSettings = z.output<typeof configPatch>;

/** Where a setting sits (`["cors_origins", 1]`, `["routes", "x", "method"]`; `[]`: the whole body). */
export type SettingPath = readonly PropertyKey[];

/** One refused setting: where, and why (the rule it broke). */
export interface ConfigIssue {
  path: SettingPath;
  message: string;
}

/** How a caller names a setting in messages: a flag (`--freshness-ms "0"`), an option (`freshnessMs`) … */
export type SettingLabel = (path: SettingPath) => string;

/** Settings refused: `label: reason` for each issue, joined by "; ". */
export class ConfigError extends Error {
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[], label: SettingLabel = settingName) {
    super(issues.map((i) => `${label(i.path)}: ${i.message}`).join("; "));
    this.issues = issues;
  }
}

/**
 * The one validation of settings, whichever way they enter; throws ConfigError naming each offending
 * setting with `label` (default: the setting's own name, `routes.x.method`, `cors_origins[1]`).
 */
export function parseSettings(value: unknown, label: SettingLabel = settingName): ValidSettings {
  const parsed = configPatch.safeParse(value);
  if (parsed.success) return parsed.data;
  throw new ConfigError(
    parsed.error.issues.map((i) => ({ path: i.path, message: i.message })),
    label,
  );
}

/** A setting's name as PATCH and GET spell it: `routes.x.method`, `cors_origins[1]`; `body` for the whole. */
export function settingName(path: SettingPath): string {
  let out = "";
  for (const segment of path) out += typeof segment === "number" ? `[${segment}]` : out ? `.${String(segment)}` : String(segment);
  return out || "body";
}

export type ConfigListener = (config: EmulatorConfig, previous: EmulatorConfig) => void;

/** Vets a whole candidate config against the running system: the refused setting, or nothing. */
export type ConfigCheck = (candidate: EmulatorConfig) => ConfigIssue | undefined;

export class LiveConfig {
  private current: EmulatorConfig;
  private readonly listeners = new Set<ConfigListener>();

  /** `initial` is a PATCH over the defaults, validated and checked as one: bad settings throw ConfigError. */
  constructor(
    initial: SettingsPatch = {},
    private readonly check: ConfigCheck = () => undefined,
  ) {
    this.current = this.vetted(defaultConfig(), parseSettings(initial));
  }

  get(): EmulatorConfig {
    return this.current;
  }

  /** Validates and applies a partial update; a route set to null is removed. Throws ConfigError. */
  patch(body: unknown): EmulatorConfig {
    const previous = this.current;
    this.current = this.vetted(previous, parseSettings(body));
    for (const listener of this.listeners) listener(this.current, previous);
    return this.current;
  }

  /** The config a PATCH of `body` would make, validated and checked (throws ConfigError); changes nothing. */
  preview(body: unknown): EmulatorConfig {
    return this.vetted(this.current, parseSettings(body));
  }

  /**
   * The config a state import would set: `body` over the defaults, its routes the only routes (nothing
   * merged from the live config). Validated and checked as a PATCH is; throws ConfigError. Changes nothing.
   */
  candidate(body: unknown, label?: SettingLabel): EmulatorConfig {
    return this.vetted({ ...defaultConfig(), routes: {} }, parseSettings(body, label), label);
  }

  /**
   * Replaces the whole config with `settings` (every setting given; routes exactly these), checked as
   * `candidate()` checks it: a state import (after its candidate() passed) and, in cluster mode, another
   * instance's change (cluster-control.ts). Listeners hear of it as of a PATCH.
   */
  replace(settings: EmulatorConfig): EmulatorConfig {
    const previous = this.current;
    this.current = this.candidate(settings);
    for (const listener of this.listeners) listener(this.current, previous);
    return this.current;
  }

  onChange(listener: ConfigListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** `previous` with `p` applied, once `check` accepts the result. */
  private vetted(previous: EmulatorConfig, p: ValidSettings, label?: SettingLabel): EmulatorConfig {
    const routes = { ...previous.routes };
    for (const [type, r] of Object.entries(p.routes ?? {})) {
      if (r === null) delete routes[type];
      else routes[type] = r;
    }
    const next: EmulatorConfig = {
      freshness_window_ms: p.freshness_window_ms ?? previous.freshness_window_ms,
      clock_offset_ms: p.clock_offset_ms ?? previous.clock_offset_ms,
      backend: p.backend ?? previous.backend,
      routes,
      rate_limits: { ...previous.rate_limits, ...stripUndefined(p.rate_limits ?? {}) },
      public_rate_limits: { ...previous.public_rate_limits, ...stripUndefined(p.public_rate_limits ?? {}) },
      cors_origins: p.cors_origins ?? previous.cors_origins,
    };
    const problem = this.check(next);
    if (problem) throw new ConfigError([problem], label);
    return next;
  }
}

function stripUndefined<T extends object>(o: T): { [K in keyof T]-?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as never;
}
