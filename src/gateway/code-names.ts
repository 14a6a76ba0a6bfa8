// Connect's canonical snake_case code names, as the journal shows them and faults name them.
import { Code } from "@connectrpc/connect";

const NAMES: Record<number, string> = {
  [Code.Canceled]: "canceled",
  [Code.Unknown]: "unknown",
  [Code.InvalidArgument]: "invalid_argument",
  [Code.DeadlineExceeded]: "deadline_exceeded",
  [Code.NotFound]: "not_found",
  [Code.AlreadyExists]: "already_exists",
  [Code.PermissionDenied]: "permission_denied",
  [Code.ResourceExhausted]: "resource_exhausted",
  [Code.FailedPrecondition]: "failed_precondition",
  [Code.Aborted]: "aborted",
  [Code.OutOfRange]: "out_of_range",
  [Code.Unimplemented]: "unimplemented",
  [Code.Internal]: "internal",
  [Code.Unavailable]: "unavailable",
  [Code.DataLoss]: "data_loss",
  [Code.Unauthenticated]: "unauthenticated",
};
const CODES = new Map(Object.entries(NAMES).map(([code, name]) => [name, Number(code) as Code]));

/** Every error code's name ("ok" is not an error). */
export const CONNECT_CODE_NAMES: readonly string[] = Object.values(NAMES);

export function codeName(code: Code): string {
  return NAMES[code] ?? String(code);
}

export function codeByName(name: string): Code | undefined {
  return CODES.get(name);
}
