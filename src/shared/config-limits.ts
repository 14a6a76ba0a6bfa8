// The ranges of the live settings (PATCH /emulator/v1/config), in one place: the gateway validates
// with them (src/gateway/config.ts) and the console shows them next to each field, so what a form
// says is allowed is what the gateway accepts.

export interface Range {
  min: number;
  max: number;
}

/** At most a day: already wider than any client clock skew worth accepting. */
export const FRESHNESS_WINDOW_MS: Range = { min: 1, max: 24 * 3600_000 };
/** A year either way: enough to test any skew, small enough to stay a valid date. */
export const CLOCK_OFFSET_MS: Range = { min: -365 * 24 * 3600_000, max: 365 * 24 * 3600_000 };
/** Tokens per second of a rate-limit bucket: more than 0 (a fraction is a slow refill), at most 1e9. */
export const RATE_PER_S_MAX = 1e9;
/** Burst (bucket size) of a rate-limit bucket. */
export const BURST: Range = { min: 1, max: 1e9 };

/** "must be an integer 1..86400000": the rule, as the gateway states it and the console shows it. */
export function integerRule(r: Range): string {
  return `must be an integer ${r.min}..${r.max}`;
}

export const RATE_RULE = `must be a number greater than 0, at most ${RATE_PER_S_MAX}`;
