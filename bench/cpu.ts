// CPU accounting per phase from /proc (Linux): how busy the whole machine was, how much of that
// was the bench's own processes, and so how much was someone else's (other work on a shared
// machine slows every figure; the bench reports it rather than hiding it).
import { readdirSync, readFileSync } from "node:fs";
import os from "node:os";

const TICKS_PER_S = 100; // USER_HZ on Linux

interface Snapshot {
  at: number;
  busyTicks: number;
  perPid: Map<string, number>;
  /** Every process on the machine: pid → [command name, ticks]. */
  all: Map<number, [string, number]>;
}

export interface CpuReport {
  /** Length of the measured window. */
  seconds: number;
  /** Whole machine, % of ONE core (so up to 100 × nproc). */
  machine_pct: number;
  /** Each named bench process, % of one core. */
  processes: Record<string, number>;
  /** Machine minus the bench's processes: other work competing for the cores, % of one core. */
  foreign_pct: number;
  /** The busiest other processes in the window ("name pct%"), to tell what the other work was. */
  foreign_top: string[];
}

function machineBusyTicks(): number {
  const line = readFileSync("/proc/stat", "utf8").split("\n", 1)[0]!;
  const [, ...fields] = line.trim().split(/\s+/).map(Number);
  const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
  const total = fields.slice(0, 8).reduce((a, b) => a + b, 0);
  return total - idle;
}

function readStat(pid: number | string): [string, number] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const name = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return [name, Number(fields[11]) + Number(fields[12])]; // utime + stime (fields 14 and 15)
  } catch {
    return undefined; // gone, or not Linux
  }
}

function processTicks(pid: number): number {
  return readStat(pid)?.[1] ?? 0;
}

function allProcesses(): Map<number, [string, number]> {
  const all = new Map<number, [string, number]>();
  let entries: string[] = [];
  try {
    entries = readdirSync("/proc");
  } catch {
    return all;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(entry);
    if (stat) all.set(Number(entry), stat);
  }
  return all;
}

export class CpuMeter {
  private start: Snapshot | undefined;

  constructor(private readonly pids: () => Record<string, number>) {}

  private snapshot(): Snapshot {
    const perPid = new Map<string, number>();
    for (const [name, pid] of Object.entries(this.pids())) perPid.set(name, processTicks(pid));
    return { at: performance.now(), busyTicks: machineBusyTicks(), perPid, all: allProcesses() };
  }

  begin(): void {
    this.start = this.snapshot();
  }

  end(): CpuReport {
    const start = this.start;
    if (!start) throw new Error("CpuMeter.end() without begin()");
    const stop = this.snapshot();
    const seconds = (stop.at - start.at) / 1000;
    const pct = (ticks: number) => (seconds > 0 ? (ticks / TICKS_PER_S / seconds) * 100 : 0);
    const processes: Record<string, number> = {};
    let ours = 0;
    for (const [name, ticks] of stop.perPid) {
      const used = ticks - (start.perPid.get(name) ?? ticks);
      processes[name] = pct(used);
      ours += used;
    }
    const machine = stop.busyTicks - start.busyTicks;
    const ourPids = new Set(Object.values(this.pids()));
    const others = new Map<string, number>();
    for (const [pid, [name, ticks]] of stop.all) {
      if (ourPids.has(pid)) continue;
      const used = ticks - (start.all.get(pid)?.[1] ?? 0); // a process born in the window counts whole
      if (used > 0) others.set(name, (others.get(name) ?? 0) + used);
    }
    const foreign_top = [...others]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 3)
      .filter(([, ticks]) => pct(ticks) >= 5)
      .map(([name, ticks]) => `${name} ${Math.round(pct(ticks))}%`);
    return { seconds, machine_pct: pct(machine), processes, foreign_pct: Math.max(0, pct(machine - ours)), foreign_top };
  }
}

export function cpuCount(): number {
  return os.availableParallelism();
}

/** CPU time one named process spent per operation in the window, in µs. */
export function usPerOp(report: CpuReport, name: string, ops: number): number {
  const pct = report.processes[name] ?? Number.NaN;
  return ops > 0 ? ((pct / 100) * report.seconds * 1e6) / ops : Number.NaN;
}

/**
 * Waits (up to `maxWaitMs`) until other work on the machine uses less than `thresholdPct` of one
 * core over a half-second window. Returns how long it waited and the last foreign load seen: a
 * shared machine cannot be made quiet, only waited for, and the output says how quiet it was.
 */
export async function waitForQuiet(
  pids: () => Record<string, number>,
  maxWaitMs: number,
  thresholdPct = 25,
): Promise<{ waited_ms: number; foreign_pct: number }> {
  const meter = new CpuMeter(pids);
  const start = performance.now();
  for (;;) {
    meter.begin();
    await new Promise((resolve) => setTimeout(resolve, 500));
    const { foreign_pct } = meter.end();
    const waited = performance.now() - start;
    if (foreign_pct < thresholdPct || waited >= maxWaitMs) return { waited_ms: waited, foreign_pct };
  }
}
