// replay.bytes_per_entry: ReplayStore heap per reservation at 1,000,000 entries, measured in a
// child process started with --expose-gc (so a full GC runs before both heap readings).
import { startChild } from "./proc.js";

export interface ReplayResult {
  entries: number;
  bytes_per_entry: number;
  released_bytes_per_entry: number;
  insert_ns_per_entry: number;
}

export async function measureReplay(entries = 1_000_000, sessions = 1_000): Promise<ReplayResult> {
  const child = startChild("replay", "./replay-child.ts", { execArgv: ["--expose-gc"] });
  try {
    return await child.call<ReplayResult>("measure", { entries, sessions }, 120_000);
  } finally {
    await child.stop();
  }
}
