// The benchmark machine may be shared (builds, tests of other work): before a measurement, wait
// until the CPUs are quiet, so that background load does not land on one side only.
import { readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";

export interface CpuTicks {
  busy: number;
  total: number;
}

/** Cumulative busy and total CPU ticks of the whole machine (null where /proc/stat is missing). */
export function cpuTicks(): CpuTicks | null {
  try {
    const line = readFileSync("/proc/stat", "utf8").split("\n")[0] ?? "";
    // user nice system idle iowait irq softirq steal (guest time is already inside user).
    const f = line.trim().split(/\s+/).slice(1, 9).map(Number);
    const idle = (f[3] ?? 0) + (f[4] ?? 0);
    const total = f.reduce((a, b) => a + b, 0);
    return { busy: total - idle, total };
  } catch {
    return null;
  }
}

// USER_HZ: Linux reports /proc/stat in 1/100 s on every common architecture.
const TICKS_PER_SECOND = 100;

/**
 * The share of the machine's CPU capacity used by other processes between two snapshots, given
 * the CPU seconds our own measured process used in that interval (NaN when unknown).
 */
export function backgroundShare(before: CpuTicks | null, after: CpuTicks | null, ownCpuSeconds: number): number {
  if (!before || !after || after.total <= before.total) return Number.NaN;
  const busy = (after.busy - before.busy) / TICKS_PER_SECOND;
  const total = (after.total - before.total) / TICKS_PER_SECOND;
  return Math.max(0, busy - ownCpuSeconds) / total;
}

/** Measures the background share over an interval of this process's own work (e.g. one step). */
export class LoadMeter {
  #ticks: CpuTicks | null = null;
  #cpu = 0;

  start(): void {
    this.#cpu = ownCpuSeconds();
    this.#ticks = cpuTicks();
  }

  /** Share of the CPUs other processes used since start(). */
  stop(): number {
    const after = cpuTicks();
    return backgroundShare(this.#ticks, after, ownCpuSeconds() - this.#cpu);
  }
}

function ownCpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/** Fraction of all CPUs busy over the next `ms` milliseconds (NaN where /proc/stat is missing). */
export async function cpuBusy(ms = 1000): Promise<number> {
  const a = cpuTicks();
  await sleep(ms);
  const b = cpuTicks();
  if (!a || !b || b.total === a.total) return Number.NaN;
  return (b.busy - a.busy) / (b.total - a.total);
}

export interface QuietOptions {
  /** Busy fraction (0–1, all CPUs) regarded as quiet. @default 0.15 */
  maxBusy?: number;
  /** Give up waiting after this long and measure anyway. @default 180 s */
  timeoutMs?: number;
  onWait?: (busy: number) => void;
}

/** Waits until the machine is quiet (or the timeout passes); returns the last busy fraction seen. */
export async function waitForQuiet(opts: QuietOptions = {}): Promise<number> {
  const maxBusy = opts.maxBusy ?? 0.15;
  const deadline = Date.now() + (opts.timeoutMs ?? 180_000);
  let busy = await cpuBusy();
  let told = false;
  while (!(busy <= maxBusy) && Number.isFinite(busy) && Date.now() < deadline) {
    if (!told) opts.onWait?.(busy);
    told = true;
    busy = await cpuBusy(2000);
  }
  return busy;
}
