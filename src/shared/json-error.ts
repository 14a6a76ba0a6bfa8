// The JSON error answer every REST surface of the emulator gives (`{"error":{"code","message",…}}`,
// README "Errors"), read the same way by every client of it: the SDK, the testing kit, the console.

/** A body's JSON, or undefined when it is empty or not JSON. */
export function parseJsonText(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export interface JsonErrorParts {
  /** `error.code`, else `http_<status>`. */
  code: string;
  /** `error.message`, else the start of the body (at most `maxText` characters), else the status text. */
  message: string;
  /** `error.issues` as sent (the config PATCH's per-setting issues), unchecked. */
  issues?: unknown;
}

/** `error.code` of a parsed JSON error answer, when it is a string. */
export function errorCodeOf(json: unknown): string | undefined {
  const code = (json as { error?: { code?: unknown } } | undefined)?.error?.code;
  return typeof code === "string" ? code : undefined;
}

/** What a non-2xx answer says: its error's code and message, with fallbacks for a body that is not ours. */
export function jsonErrorOf(status: number, json: unknown, text: string, statusText = "", maxText = 300): JsonErrorParts {
  const err = (json as { error?: { message?: unknown; issues?: unknown } } | undefined)?.error;
  return {
    code: errorCodeOf(json) ?? `http_${status}`,
    message: typeof err?.message === "string" ? err.message : text.slice(0, maxText) || statusText,
    ...(err?.issues !== undefined ? { issues: err.issues } : {}),
  };
}
