// The `semi` suite (issue #5): the label-efficiency table. Left atrium (80 cases at 1.25 mm; fold 0
// of a 5-fold split carves 16 validation cases, labelled = the first 8 / 16 of the remaining 64 in
// sorted order, the literature's convention) and hippocampus (10 % of the training cases labelled):
// supervised on the labelled subset (lower bound), supervised on every label (upper bound), and
// every semi-supervised strategy, with the same iterations, seed, network and optimizer.
import path from "node:path";
import type { MachineInfo } from "../harness/index.js";
import { markdownTable, resultLine } from "../harness/index.js";
import { dataRoot, workRootOf, type FractionValue, diceVsFractionSpec, fmt, meanOf, partNotes, ratio, reportHeader, type AccuracySuiteSpec, type Profile, type SuiteReport, accuracySuite, type SegmentationPart, type SegmentationRow, suiteTraining } from "../segmentation/index.js";

/** The semi-supervised strategies compared, with their config (defaults except FBA-Net+'s three decoders). */
export const SEMI_STRATEGIES: readonly { readonly kind: string; readonly config: Record<string, unknown> }[] = [
  { kind: "mean-teacher", config: { kind: "mean-teacher" } },
  { kind: "cross-pseudo", config: { kind: "cross-pseudo" } },
  { kind: "bcp", config: { kind: "bcp" } },
  { kind: "fba", config: { kind: "fba", decoders: 3 } },
  { kind: "dual-contrast", config: { kind: "dual-contrast" } },
];

/** A labelled setting: which dataset, how many labelled cases, and the row-name prefix. */
interface Setting {
  readonly prefix: string;
  readonly dataset: "left-atrium" | "hippocampus";
  readonly labelled: { count: number } | { fraction: number } | null;
  readonly iterations: number;
}

function settings(profile: Profile): Setting[] {
  if (profile === "quick") {
    // Left atrium only (the RESULT line is about it), short runs.
    return [
      { prefix: "la-all", dataset: "left-atrium", labelled: null, iterations: 20 },
      { prefix: "la8", dataset: "left-atrium", labelled: { count: 8 }, iterations: 20 },
      { prefix: "la16", dataset: "left-atrium", labelled: { count: 16 }, iterations: 20 },
    ];
  }
  return [
    { prefix: "la-all", dataset: "left-atrium", labelled: null, iterations: 1000 },
    { prefix: "la8", dataset: "left-atrium", labelled: { count: 8 }, iterations: 1000 },
    { prefix: "la16", dataset: "left-atrium", labelled: { count: 16 }, iterations: 1000 },
    { prefix: "hip-all", dataset: "hippocampus", labelled: null, iterations: 800 },
    { prefix: "hip10", dataset: "hippocampus", labelled: { fraction: 0.1 }, iterations: 800 },
  ];
}

/**
 * Shared by every row: a 16-filter network (the V-Net width of the literature) on the plan's
 * topology, Adam 1e-3 with a cosine decay (short CPU schedules converge with it; every row gets the
 * same), 2 threads, one loader worker, the same seed and split seed.
 */
function config(s: Setting, strategy: Record<string, unknown>, profile: Profile): Record<string, unknown> {
  return {
    seed: 12345,
    strategy,
    ...suiteTraining(s.iterations, profile),
    data: { workers: 1 },
    split: { folds: 5, fold: 0, seed: 12345, selection: "first", ...(s.labelled ? { labelled: s.labelled } : {}) },
  };
}

const LABELS: Readonly<Record<string, string>> = { "left-atrium": "left atrium", hippocampus: "hippocampus" };

export function semiRows(profile: Profile, root: string): SegmentationRow[] {
  const out: SegmentationRow[] = [];
  for (const s of settings(profile)) {
    const dataset = path.join(dataRoot(root), s.dataset);
    const labelled = s.labelled === null ? "all" : "count" in s.labelled ? s.labelled.count : `${s.labelled.fraction * 100}%`;
    // Quick: 2 validation cases at overlap 0.25 (prediction would dominate a 30-iteration row otherwise).
    const base = { dataset, work: workRootOf(profile), ...(profile === "quick" ? { evalCases: 2, overlap: 0.25 } : { overlap: 0.5 }) };
    if (s.labelled === null) {
      out.push({ ...base, name: s.prefix, config: config(s, { kind: "supervised" }, profile), meta: { dataset: s.dataset, labelled, method: "supervised (all labels)" } });
      continue;
    }
    out.push({ ...base, name: `${s.prefix}-supervised`, config: config(s, { kind: "supervised" }, profile), meta: { dataset: s.dataset, labelled, method: "supervised (labelled only)" } });
    for (const st of SEMI_STRATEGIES) {
      out.push({ ...base, name: `${s.prefix}-${st.kind}`, config: config(s, st.config, profile), meta: { dataset: s.dataset, labelled, method: st.kind } });
    }
  }
  return out;
}

/** Share of the fold's training cases that were labelled (1 for the all-labels rows). */
function labelledShare(p: SegmentationPart): number | null {
  const t = p.trainingCases;
  if (!t) return null;
  const n = t.labelled + t.unlabelled + t.boxes;
  return n ? t.labelled / n : null;
}

/** The best semi-supervised strategy of a labelled setting (by mean Dice), or null. */
export function bestStrategy(parts: ReadonlyMap<string, SegmentationPart>, prefix: string): { kind: string; dice: number } | null {
  let best: { kind: string; dice: number } | null = null;
  for (const st of SEMI_STRATEGIES) {
    const d = meanOf(parts.get(`${prefix}-${st.kind}`), "dice");
    if (d !== null && (best === null || d > best.dice)) best = { kind: st.kind, dice: d };
  }
  return best;
}

/** The RESULT line: best strategy Dice over full supervision at 16 and 8 labels, and the best at 16. */
export function semiResult(parts: ReadonlyMap<string, SegmentationPart>): string {
  const full = meanOf(parts.get("la-all"), "dice");
  const b16 = bestStrategy(parts, "la16");
  const b8 = bestStrategy(parts, "la8");
  return resultLine("semi", [
    ["la20_ratio", ratio(b16?.dice ?? null, full)],
    ["la10_ratio", ratio(b8?.dice ?? null, full)],
    ["best", b16?.kind ?? null],
  ]);
}

export function semiReport(parts: ReadonlyMap<string, SegmentationPart>, all: readonly SegmentationRow[], profile: Profile, machine: MachineInfo): SuiteReport {
  const header = reportHeader(`Semi-supervised benchmark${profile === "quick" ? " (quick)" : ""}: Dice against labelled cases`, machine, [
    "left atrium: ../shared/data/left-atrium (80 cases, 1.25 mm); fold 0 of a 5-fold split (seed 12345) = 16 validation cases; labelled = the first 8 / 16 of the 64 remaining (sorted ids), the rest unlabelled" +
      (profile === "full" ? "; hippocampus: 10 % of the 166 training cases labelled (first in sorted order), 42 validation cases" : ""),
    "every row: same seed, iterations, network width (16 base filters full, 8 quick), Adam 1e-3 with cosine decay, 2 threads; supervised rows train on the labelled cases only, strategies also see the unlabelled ones",
    `evaluation: final checkpoint (no selection on the scored cases), sliding window (overlap ${profile === "full" ? "0.5" : "0.25, first 2 validation cases"}), metrics per case in mm then averaged; the published LA numbers select the best checkpoint on the test set and report voxels`,
    "time = the trainer's wall time (validation and checkpoints included, across resumed pieces)",
  ]);
  const body: string[][] = [];
  for (const r of all) {
    const p = parts.get(r.name);
    const d = p?.status === "done" ? p : undefined;
    const share = d ? labelledShare(d) : null;
    body.push([
      r.name,
      String(r.meta.dataset),
      `${r.meta.labelled}${share !== null ? ` (${Math.round(share * 100)} %)` : ""}`,
      String(r.meta.method),
      d ? `**${fmt(d.mean?.dice ?? null, 3)}**` : p ? "failed" : "not run",
      fmt(d?.mean?.jaccard ?? null, 3),
      fmt(d?.mean?.hd95 ?? null, 2),
      fmt(d?.mean?.asd ?? null, 2),
      fmt(d?.trainMinutes ?? null, 1),
      d?.iterations !== null && d?.iterations !== undefined ? String(d.iterations) : "–",
    ]);
  }
  const table = markdownTable(["row", "dataset", "labelled", "method", "Dice", "Jaccard", "HD95 (mm)", "ASD (mm)", "train min", "iterations"], body);
  const notes: string[] = [];
  const full = meanOf(parts.get("la-all"), "dice");
  for (const [prefix, label] of [["la16", "16 labels (20 %)"], ["la8", "8 labels (10 %)"]] as const) {
    const b = bestStrategy(parts, prefix);
    const lower = meanOf(parts.get(`${prefix}-supervised`), "dice");
    if (b) notes.push(`- left atrium, ${label}: best strategy ${b.kind} ${fmt(b.dice)} = ${fmt(ratio(b.dice, full))} of full supervision (${fmt(full)}); labelled-only lower bound ${fmt(lower)}.`);
  }
  if (profile === "full") notes.push("- goal: la20_ratio ≥ 0.995 and la10_ratio ≥ 0.99 (FBA-Net+ published 0.997 at 20 %, 0.968 at 10 %).");
  notes.push(...partNotes(all, parts, machine));

  const values: FractionValue[] = [];
  for (const r of all) {
    const p = parts.get(r.name);
    const dice = meanOf(p, "dice");
    const share = p ? labelledShare(p) : null;
    if (dice === null || share === null) continue;
    const method = r.meta.method === "supervised (all labels)" ? "supervised" : r.meta.method === "supervised (labelled only)" ? "supervised" : String(r.meta.method);
    values.push({ dataset: LABELS[String(r.meta.dataset)] ?? String(r.meta.dataset), method, labelledPercent: share * 100, dice });
    // The full-supervision point anchors every strategy's line at 100 %.
    if (r.meta.method === "supervised (all labels)") {
      for (const st of SEMI_STRATEGIES) values.push({ dataset: LABELS[String(r.meta.dataset)] ?? String(r.meta.dataset), method: st.kind, labelledPercent: 100, dice });
    }
  }
  const plot = values.length ? diceVsFractionSpec("Mean Dice on the validation cases against the labelled share of the training cases", values, ["supervised", ...SEMI_STRATEGIES.map((s) => s.kind)]) : null;
  return { markdown: [...header, "", table, "", ...notes].join("\n"), result: semiResult(parts), plot };
}

const spec: AccuracySuiteSpec = {
  name: "semi",
  description: "label efficiency: supervised lower/upper bounds and every semi-supervised strategy on left atrium (8, 16 labels) and hippocampus (10 %)",
  help: [
    "full: 20 rows (left atrium 1000 iterations, hippocampus 800; 16-filter networks): measured 2.6 s/iteration (supervised) to 5.3 (FBA-Net+) on left atrium, ≈ 15 h on 2 cores, run it in the background;",
    "--quick: left atrium only (13 rows), 8-filter networks on small patches, 20 iterations, 2 validation cases at overlap 0.25 (≈ 15 min)",
  ],
  rows: semiRows,
  report: semiReport,
};

export const semiSuite = accuracySuite(spec);
