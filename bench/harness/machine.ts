// Where and on what a benchmark ran: commit, CPU, cores, date; and which BLAS a process mapped.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { availableParallelism, cpus } from "node:os";

export interface MachineInfo {
  commit: string;
  /** Uncommitted changes in the working tree when the run started. */
  dirty: boolean;
  cpuModel: string;
  cores: number;
  node: string;
  date: string;
}

function git(root: string, args: string[]): string | null {
  try {
    return execFileSync("git", args, { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    return null;
  }
}

export function machineInfo(root: string): MachineInfo {
  const status = git(root, ["status", "--porcelain", "--untracked-files=no"]);
  return {
    commit: git(root, ["rev-parse", "--short=12", "HEAD"]) ?? "unknown",
    dirty: status !== null && status.length > 0,
    cpuModel: cpus()[0]?.model.trim() ?? "unknown",
    cores: availableParallelism(),
    node: process.version,
    date: new Date().toISOString(),
  };
}

/** Real paths of the BLAS/LAPACK libraries mapped into this process (Linux; [] elsewhere). */
export function loadedBlas(): string[] {
  let maps: string;
  try {
    maps = readFileSync("/proc/self/maps", "utf8");
  } catch {
    return [];
  }
  const libs = new Set<string>();
  for (const line of maps.split("\n")) {
    const at = line.indexOf("/");
    if (at < 0) continue;
    const file = line.slice(at).trim();
    if (/blas|lapack|mkl/i.test(file.slice(file.lastIndexOf("/") + 1))) libs.add(file);
  }
  return [...libs].sort();
}

/** A short name for the BLAS flavour in a list from loadedBlas(): "openblas-openmp", "openblas-pthread", ... */
export function blasFlavour(libs: readonly string[]): string {
  const dirs = new Set(libs.map((f) => f.split("/").slice(-2, -1)[0] ?? ""));
  const openblas = [...dirs].filter((d) => d.startsWith("openblas"));
  if (openblas.length) return openblas.sort().join("+");
  if (libs.some((f) => /mkl/i.test(f))) return "mkl";
  if (libs.length) return "reference/other";
  return "none";
}
