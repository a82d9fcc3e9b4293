// Pieces every accuracy report shares: the header (commit, machine, date, protocol), metric cells,
// notes on failed and missing rows and on parts measured at other commits. Suites lay out their
// own tables from these.
import type { MachineInfo } from "../harness/index.js";
import type { MetricStat, SegmentationPart, SegmentationRow } from "./types.js";

export type MetricName = "dice" | "jaccard" | "hd95" | "asd";

/** A number with `digits` decimals, "–" when missing. */
export function fmt(v: number | null | undefined, digits = 3): string {
  return v === null || v === undefined || !Number.isFinite(v) ? "–" : v.toFixed(digits);
}

/** Digits per metric: overlaps to 3 decimals, distances (mm) to 2. */
export const DIGITS: Readonly<Record<MetricName, number>> = { dice: 3, jaccard: 3, hd95: 2, asd: 2 };

/** "0.891 ± 0.031" (and "(2 excl.)" when cases were left out). */
export function statCell(s: MetricStat | undefined, metric: MetricName, withStd = true): string {
  if (!s || s.mean === null) return "–";
  const d = DIGITS[metric];
  const excl = s.excluded ? ` (${s.excluded} excl.)` : "";
  return withStd && s.std !== null ? `${s.mean.toFixed(d)} ± ${s.std.toFixed(d)}${excl}` : `${s.mean.toFixed(d)}${excl}`;
}

/** The mean over classes of a part's metric (null for failed parts). */
export function meanOf(part: SegmentationPart | undefined, metric: MetricName): number | null {
  return part?.status === "done" ? (part.mean?.[metric] ?? null) : null;
}

/** Mean over the named classes of one metric's class means (null when any is missing). */
export function meanOverClasses(part: SegmentationPart | undefined, classNames: readonly string[], metric: MetricName): number | null {
  if (part?.status !== "done") return null;
  const values = classNames.map((n) => part.classes.find((c) => c.name === n)?.[metric].mean ?? null);
  if (values.some((v) => v === null)) return null;
  return (values as number[]).reduce((a, b) => a + b, 0) / values.length;
}

/** x / y, null when either is missing or y is 0. */
export function ratio(x: number | null, y: number | null): number | null {
  return x === null || y === null || y === 0 ? null : x / y;
}

/** Header lines: title, commit, machine, date and the protocol. */
export function reportHeader(title: string, machine: MachineInfo, protocol: readonly string[]): string[] {
  return [
    `# ${title}`,
    "",
    `- commit: ${machine.commit}${machine.dirty ? " (with uncommitted changes)" : ""}`,
    `- machine: ${machine.cpuModel}, ${machine.cores} cores, Node ${machine.node}`,
    `- date: ${machine.date}`,
    ...protocol.map((p) => `- ${p}`),
  ];
}

/** Notes: rows not run yet, failed rows with their reason, parts measured at other commits. */
export function partNotes(rows: readonly SegmentationRow[], parts: ReadonlyMap<string, SegmentationPart>, machine: MachineInfo): string[] {
  const notes: string[] = [];
  const missing = rows.filter((r) => !parts.has(r.name)).map((r) => r.name);
  if (missing.length) notes.push(`- not run yet: ${missing.join(", ")}.`);
  for (const p of parts.values()) {
    if (p.status === "failed") notes.push(`- ${p.row} FAILED: ${(p.error ?? "unknown error").split("\n")[0]}`);
  }
  const here = `${machine.commit}${machine.dirty ? " (with uncommitted changes)" : ""}`;
  const byCommit = new Map<string, string[]>();
  for (const p of parts.values()) {
    if (p.status !== "done") continue;
    const key = `${p.machine.commit}${p.machine.dirty ? " (with uncommitted changes)" : ""}`;
    byCommit.set(key, [...(byCommit.get(key) ?? []), p.row]);
  }
  if (byCommit.size > 1 || (byCommit.size === 1 && !byCommit.has(here))) {
    for (const [commit, names] of byCommit) notes.push(`- ${names.join(", ")} measured at commit ${commit}.`);
  }
  return notes;
}

/** Where each finished row's model is and how `labelwise predict` uses it. */
export function modelNotes(parts: ReadonlyMap<string, SegmentationPart>): string[] {
  return [...parts.values()].filter((p) => p.status === "done" && p.runDir).map((p) => `- ${p.row}: model \`${p.runDir}\` (per-case metrics in \`${p.runDir}/evaluation/\`)`);
}
