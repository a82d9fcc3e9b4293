// The `weak` suite (issue #6): segmentation from one 3-D box per organ. Boxes are derived from the
// labels and perturbed like human boxes (1 mm loose, each face ±2 mm), in a box-annotated copy of
// each dataset (bench/work/datasets/<name>-boxes, labels linked for scoring only). Rows per dataset:
// full supervision, then the box strategy's ablation — projection only, + grey-level pairwise,
// + contrastive-embedding pairwise (the method), + geometric prior (over projection alone and over
// each pairwise term) — with the same iterations, seed, network, optimizer, augmentation and
// validation cases.
import path from "node:path";
import type { MachineInfo } from "../harness/index.js";
import { markdownTable, resultLine } from "../harness/index.js";
import { HUMAN_BOXES, boxesDataset, dataRoot, workRootOf, type BarValue, diceBarsSpec, fmt, meanOf, meanOverClasses, partNotes, ratio, reportHeader, type AccuracySuiteSpec, type Profile, type SuiteReport, accuracySuite, type SegmentationPart, type SegmentationRow, suiteTraining } from "../segmentation/index.js";

interface WeakDataset {
  /** Row-name prefix. */
  readonly key: "hip" | "la" | "btcv";
  readonly folder: string;
  readonly folds: number;
  readonly iterations: number;
  /** Validation cases scored in quick runs (BTCV's 13-class sliding window is slow). */
  readonly quickEvalCases: number;
  /** Organs the report's columns (and for BTCV the RESULT ratio) are about; null: every class. */
  readonly organs: readonly string[] | null;
}

/** BTCV organs the issue asks for (the ratio is their mean). */
export const BTCV_ORGANS = ["liver", "spleen", "right_kidney", "left_kidney", "stomach"] as const;

function datasets(profile: Profile): WeakDataset[] {
  const q = profile === "quick";
  return [
    { key: "hip", folder: "hippocampus", folds: 5, iterations: q ? 30 : 800, quickEvalCases: 3, organs: null },
    { key: "la", folder: "left-atrium", folds: 5, iterations: q ? 30 : 1000, quickEvalCases: 3, organs: null },
    // 24 cases: 4 folds leave 6 validation cases.
    { key: "btcv", folder: "btcv-abdomen", folds: 4, iterations: q ? 20 : 1500, quickEvalCases: 2, organs: BTCV_ORGANS },
  ];
}

/** The ablation, in report order. */
export const VARIANTS = [
  { key: "full", method: "full supervision" },
  { key: "box-proj", method: "box: projection only" },
  { key: "box-gray", method: "box: + grey-level pairwise" },
  { key: "box-emb", method: "box: + contrastive pairwise" },
  { key: "box-emb-prior", method: "box: + contrastive pairwise + geometric prior" },
  // The prior without any pairwise term: on hippocampus the pairwise terms lost to projection alone.
  { key: "box-proj-prior", method: "box: projection + geometric prior" },
  // On the left atrium the grey-level pairwise term helped (its blood pool has a sharp edge) where
  // the contrastive one did not: the prior on top of it.
  { key: "box-gray-prior", method: "box: + grey-level pairwise + geometric prior" },
] as const;
type VariantKey = (typeof VARIANTS)[number]["key"];
const QUICK_VARIANTS: readonly VariantKey[] = ["full", "box-proj", "box-emb"];

/** The box strategy config of a variant; warm-ups and the coarse stage scale with the run length. */
function boxStrategy(v: Exclude<VariantKey, "full">, d: WeakDataset): Record<string, unknown> {
  const iterations = d.iterations;
  const affinity = v === "box-proj" || v === "box-proj-prior" ? "none" : v === "box-gray" || v === "box-gray-prior" ? "intensity" : "embedding";
  const prior = v.endsWith("-prior");
  return {
    kind: "box",
    // The fold's single labelled case only provides the prior's template; no patch of it is trained on.
    labelledBatchSize: 0,
    // BTCV boxes all 13 organs of each case and its patches miss some of them: an organ whose box
    // misses the patch is absent from it. (Alone this did not rescue BTCV: projection + prior 0.048
    // with the recipe's "ignore", 0.025 with it; see src/strategies/README.md.) Hippocampus and LA
    // keep the recipe they were measured with.
    ...(d.key === "btcv" ? { projection: { absent: "penalise" } } : {}),
    pairwise: { affinity, warmupIterations: Math.round(iterations * 0.2) },
    ...(affinity === "embedding" ? { contrastive: { coarseIterations: Math.round(iterations * 0.4) } } : {}),
    // The prior: Chamfer to the ICP-aligned template (warmed up) + the template mask (from the start), both oriented like the patch.
    geometricPrior: prior ? { enabled: true, warmupIterations: Math.round(iterations * 0.3), template: { source: "labelled" }, maskWeight: 1 } : { enabled: false },
  };
}

/**
 * Every row: the plan's network width (16 base filters full, 8 quick), Adam 1e-3 with cosine decay,
 * rotation and scaling off (a rotated box is no longer a box; full supervision gets the same
 * augmentation so the comparison is about the labels only), 2 threads, one worker.
 */
function config(d: WeakDataset, v: VariantKey, profile: Profile): Record<string, unknown> {
  // Quick: two epochs (one validation at the end, checkpoints at both ends).
  // Box rows: labelled = the first training case (template source only), every other training case a box case.
  const split = v === "full" ? { folds: d.folds, fold: 0, seed: 12345 } : { folds: d.folds, fold: 0, seed: 12345, selection: "first", labelled: { count: 1 }, boxes: { fraction: 1 } };
  return {
    seed: 12345,
    strategy: v === "full" ? { kind: "supervised" } : boxStrategy(v, d),
    ...suiteTraining(d.iterations, profile),
    data: { workers: 1, augmentation: { rotation: { p: 0 }, scaling: { p: 0 } } },
    split,
  };
}

export function weakRows(profile: Profile, root: string): SegmentationRow[] {
  const out: SegmentationRow[] = [];
  for (const d of datasets(profile)) {
    const source = path.join(dataRoot(root), d.folder);
    const boxed = boxesDataset(root, source, HUMAN_BOXES);
    const variants = profile === "quick" ? VARIANTS.filter((v) => QUICK_VARIANTS.includes(v.key)) : VARIANTS;
    for (const v of variants) {
      const common = {
        name: `${d.key}-${v.key}`,
        work: workRootOf(profile),
        config: config(d, v.key, profile),
        ...(profile === "quick" ? { evalCases: d.quickEvalCases, overlap: 0.25 } : { overlap: 0.5 }),
        meta: { dataset: d.folder, method: v.method },
      };
      if (v.key === "full") out.push({ ...common, dataset: source });
      else out.push({ ...common, dataset: boxed.dir, labels: path.join(source, "labelsTr"), planFrom: source, prepare: boxed.prepare });
    }
  }
  return out;
}

/** Organs shown for a dataset: the named ones, else every class of the full-supervision part. */
function organsOf(d: WeakDataset, parts: ReadonlyMap<string, SegmentationPart>): string[] {
  if (d.organs) return [...d.organs];
  const any = [...parts.values()].find((p) => p.row.startsWith(`${d.key}-`) && p.status === "done");
  return any ? any.classes.map((c) => c.name) : [];
}

/** Score of a row on a dataset: mean Dice over the report organs (BTCV) or over every class. */
function score(d: WeakDataset, part: SegmentationPart | undefined): number | null {
  return d.organs ? meanOverClasses(part, d.organs, "dice") : meanOf(part, "dice");
}

/** The best box row of a dataset by its score. */
export function bestBoxRow(d: Pick<WeakDataset, "key" | "organs">, parts: ReadonlyMap<string, SegmentationPart>): { row: string; score: number } | null {
  let best: { row: string; score: number } | null = null;
  for (const v of VARIANTS) {
    if (v.key === "full") continue;
    const name = `${d.key}-${v.key}`;
    const s = score(d as WeakDataset, parts.get(name));
    if (s !== null && (best === null || s > best.score)) best = { row: name, score: s };
  }
  return best;
}

/**
 * The RESULT line: per dataset, the best box row's Dice over full supervision's; for BTCV the mean
 * over the five organs of the per-organ ratio, for the box row best on those organs.
 */
export function weakResult(parts: ReadonlyMap<string, SegmentationPart>, profile: Profile = "full"): string {
  const ds = datasets(profile);
  const simple = (key: "hip" | "la") => {
    const d = ds.find((x) => x.key === key)!;
    return ratio(bestBoxRow(d, parts)?.score ?? null, score(d, parts.get(`${key}-full`)));
  };
  const btcv = ds.find((x) => x.key === "btcv")!;
  const best = bestBoxRow(btcv, parts);
  let btcvRatio: number | null = null;
  if (best) {
    const full = parts.get("btcv-full");
    const box = parts.get(best.row);
    const per = BTCV_ORGANS.map((o) => ratio(box?.classes.find((c) => c.name === o)?.dice.mean ?? null, full?.status === "done" ? (full.classes.find((c) => c.name === o)?.dice.mean ?? null) : null));
    btcvRatio = per.some((r) => r === null) ? null : (per as number[]).reduce((a, b) => a + b, 0) / per.length;
  }
  return resultLine("weak", [["ratio_hippocampus", simple("hip")], ["ratio_la", simple("la")], ["ratio_btcv", btcvRatio]]);
}

export function weakReport(parts: ReadonlyMap<string, SegmentationPart>, all: readonly SegmentationRow[], profile: Profile, machine: MachineInfo): SuiteReport {
  const header = reportHeader(`Weak-supervision benchmark${profile === "quick" ? " (quick)" : ""}: 3-D boxes against full labels`, machine, [
    `boxes: derived from the labels with the library behind \`labelwise boxes-from-labels\`, ${HUMAN_BOXES.marginMm} mm loose on every face then each face moved by a uniform draw in ±${HUMAN_BOXES.jitterMm} mm (seed ${HUMAN_BOXES.seed}); validation cases are scored against the true labels`,
    "splits: fold 0 (seed 12345; 5 folds, BTCV 4), the same validation cases in every row; box rows: the first training case (sorted ids) is kept labelled only as the geometric prior's template source (no patch of it is trained on), every other training case gives boxes only",
    `every row: same seed, iterations, network width, Adam 1e-3 with cosine decay, no rotation/scaling augmentation; evaluation with the final checkpoint, sliding window (overlap ${profile === "full" ? "0.5" : "0.25, first 3 validation cases, BTCV 2"}), metrics per case in mm then averaged`,
  ]);
  const sections: string[] = [];
  const plotValues: BarValue[] = [];
  const order = VARIANTS.map((v) => v.method);
  for (const d of datasets(profile)) {
    const organs = organsOf(d, parts);
    const dsRows = all.filter((r) => r.name.startsWith(`${d.key}-`));
    if (!dsRows.length) continue;
    const body = dsRows.map((r) => {
      const p = parts.get(r.name);
      const done = p?.status === "done" ? p : undefined;
      const cells = organs.map((o) => {
        const c = done?.classes.find((k) => k.name === o);
        if (c?.dice.mean !== null && c?.dice.mean !== undefined) plotValues.push({ panel: d.folder, series: String(r.meta.method), category: o, dice: c.dice.mean });
        return c ? `${fmt(c.dice.mean)} / ${fmt(c.hd95.mean, 1)}` : "–";
      });
      const status = done ? "" : p ? " (failed)" : " (not run)";
      return [
        `${r.name}${status}`,
        String(r.meta.method),
        ...cells,
        `**${fmt(score(d, done))}**`,
        ...(d.organs ? [fmt(meanOf(done, "dice"))] : []),
        fmt(done?.trainMinutes ?? null, 1),
      ];
    });
    const cols = ["row", "method", ...organs.map((o) => `${o} Dice / HD95 (mm)`), d.organs ? `mean Dice (${d.organs.length} organs)` : "mean Dice", ...(d.organs ? ["mean Dice (all classes)"] : []), "train min"];
    const best = bestBoxRow(d, parts);
    const full = score(d, parts.get(`${d.key}-full`));
    sections.push(
      `## ${d.folder}`,
      "",
      markdownTable(cols, body),
      "",
      `- best box row: ${best ? `${best.row} ${fmt(best.score)} = ${fmt(ratio(best.score, full))} of full supervision (${fmt(full)})` : "–"}`,
      "",
    );
  }
  const notes = [...(profile === "full" ? ["- goal: every ratio ≥ 0.95 (the published method: kidney 80.2 Dice from boxes vs 49.1 for BoxInst)."] : []), ...partNotes(all, parts, machine)];
  const plot = plotValues.length ? diceBarsSpec("Mean Dice per organ on the validation cases (BTCV: the five report organs)", plotValues, order) : null;
  return { markdown: [...header, "", ...sections, ...notes].join("\n"), result: weakResult(parts, profile), plot };
}

const spec: AccuracySuiteSpec = {
  name: "weak",
  description: "box supervision on hippocampus, left atrium and BTCV: full supervision vs projection / + grey-level / + contrastive pairwise / + geometric prior, and projection + geometric prior",
  help: [
    "full: 21 rows (hippocampus 800 iterations, left atrium 1000, BTCV 1500; 16-filter networks): many hours on 2 cores, run it in the background;",
    "--quick: full, projection-only and contrastive rows per dataset (9 rows), 8-filter networks on small patches, 30 iterations (BTCV 20), 3 validation cases (BTCV 2) at overlap 0.25 (≈ 15 min)",
  ],
  rows: weakRows,
  report: weakReport,
};

export const weakSuite = accuracySuite(spec);
