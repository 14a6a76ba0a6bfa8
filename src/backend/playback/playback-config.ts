// DIR/playback.json (optional, written by the user): what playback leaves out of a recorded command's
// `match`, so a call with fresh values of those fields still matches (README "Record and play back").
//   { "volatile_fields": ["request_id", "*_at_ms"],               ← field names, any depth; replaces the defaults
//     "ignore": { "game.shop.buy": ["payload.cart.client_ts"] } }  ← per message type, exact paths
// A bad file stops the start naming the file and the JSON path.
import { readFile } from "node:fs/promises";
import { PLAYBACK_CONFIG_FILE, RecordingError } from "../../node/recording-format.js";
import { stateFilePath } from "../../node/atomic-file.js";

/**
 * Field names a client fills with fresh values on every call: request ids, nonces, idempotency keys and
 * clock readings. Names ending in `_id` in general are NOT here: `ship_id`, `planet_id` are what a
 * game's commands are about, and matching them is the point; add such a field per type under `ignore`.
 */
export const DEFAULT_VOLATILE_FIELDS: readonly string[] = [
  "request_id",
  "*_request_id",
  "nonce",
  "idempotency_key",
  "timestamp",
  "*_timestamp",
  "ts",
  "*_at",
  "*_at_ms",
  "*_time_ms",
];
/** More patterns or paths than a game has volatile fields; bounds what every recorded command is checked against. */
const MAX_ENTRIES = 256;
/** A dotted path under the payload: `payload.a.b` (a key per segment). */
const PATH_RULE = /^payload(\.[^.\s]{1,128}){1,32}$/;

export interface PlaybackConfig {
  volatileFields: readonly string[];
  /** message type → paths (without the leading `payload.`, split into keys). */
  ignore: Map<string, string[][]>;
}

export async function readPlaybackConfig(dir: string): Promise<PlaybackConfig> {
  const file = stateFilePath(dir, PLAYBACK_CONFIG_FILE);
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return { volatileFields: DEFAULT_VOLATILE_FIELDS, ignore: new Map() };
    throw new RecordingError(`${file}: cannot read it (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  const fail = (path: string, message: string) => new RecordingError(`${file}: ${path}: ${message}`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new RecordingError(`${file}: not JSON (${(err as Error).message})`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw fail("$", "must be a JSON object");
  const o = value as Record<string, unknown>;
  for (const key of Object.keys(o)) if (key !== "volatile_fields" && key !== "ignore") throw fail(`$.${key}`, "unknown key (allowed: volatile_fields, ignore)");
  let volatileFields = DEFAULT_VOLATILE_FIELDS;
  if (o["volatile_fields"] !== undefined) {
    const list = o["volatile_fields"];
    if (!Array.isArray(list) || list.length > MAX_ENTRIES) throw fail("$.volatile_fields", `must be an array of at most ${MAX_ENTRIES} field names`);
    list.forEach((p, i) => {
      if (typeof p !== "string" || !/^[^\u0000-\u001f\u007f]{1,128}$/.test(p)) throw fail(`$.volatile_fields[${i}]`, "must be a field name of 1..128 printable characters (* for any run)");
    });
    volatileFields = list as string[];
  }
  const ignore = new Map<string, string[][]>();
  if (o["ignore"] !== undefined) {
    const byType = o["ignore"];
    if (typeof byType !== "object" || byType === null || Array.isArray(byType)) throw fail("$.ignore", "must be an object: message type → paths");
    for (const [type, paths] of Object.entries(byType)) {
      const at = `$.ignore[${JSON.stringify(type)}]`;
      if (!Array.isArray(paths) || paths.length > MAX_ENTRIES) throw fail(at, `must be an array of at most ${MAX_ENTRIES} paths`);
      ignore.set(
        type,
        paths.map((p, i) => {
          if (typeof p !== "string" || !PATH_RULE.test(p)) throw fail(`${at}[${i}]`, `must be a path like "payload.a.b"`);
          return p.split(".").slice(1);
        }),
      );
    }
  }
  return { volatileFields, ignore };
}
