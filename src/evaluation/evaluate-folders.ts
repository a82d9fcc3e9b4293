// Evaluation of a folder of predicted label maps against a folder of reference label maps:
// pairs files by case id, checks that each pair shares one grid, and computes per-class metrics
// with src/metrics (distances in mm from the reference's spacing). Node-only.

import { readdir } from "node:fs/promises";
import path from "node:path";
import { readNifti } from "../io/index.js";
import { evaluateSegmentation, type ClassMetrics, type EvaluateOptions } from "../metrics/index.js";
import { asLabelVolume, relativeAffineDiff, type Volume } from "../volume/index.js";

/** The metrics summarised and plotted, in report order. */
export const SUMMARY_METRICS = ["dice", "jaccard", "hd95", "asd", "nsd"] as const;
export type SummaryMetric = (typeof SUMMARY_METRICS)[number];

/** Display names and units of the summary metrics. */
export const METRIC_LABELS: Readonly<Record<SummaryMetric, string>> = {
  dice: "Dice",
  jaccard: "Jaccard",
  hd95: "HD95 (mm)",
  asd: "ASD (mm)",
  nsd: "NSD",
};

/** One class of one case. */
export interface CaseClassResult extends ClassMetrics {
  readonly name: string;
}

/** One evaluated case. */
export interface CaseResult {
  readonly case: string;
  readonly pred: string;
  readonly ref: string;
  readonly classes: readonly CaseClassResult[];
}

/** Mean, standard deviation and counts of one metric of one class over the cases. */
export interface MetricSummary {
  /** Mean over the finite values (NaN when there are none). */
  readonly mean: number;
  /** Population standard deviation over the finite values. */
  readonly std: number;
  readonly median: number;
  /** Finite values the statistics are over. */
  readonly n: number;
  /** Cases whose value was NaN or infinite (e.g. a distance with one mask empty). */
  readonly excluded: number;
}

/** One class over all cases. */
export interface ClassSummary {
  readonly label: number;
  readonly name: string;
  readonly metrics: Readonly<Record<SummaryMetric, MetricSummary>>;
}

/** What {@link evaluateFolders} returns. */
export interface EvaluationReport {
  readonly cases: readonly CaseResult[];
  /** Per class, in class order. */
  readonly classes: readonly ClassSummary[];
  /** Mean over classes of the per-class means (classes with no finite value left out). */
  readonly overall: Readonly<Record<SummaryMetric, number>>;
  /** Reference cases that have no prediction (not evaluated). */
  readonly missing: readonly string[];
  /** Predictions without a reference (ignored). */
  readonly extra: readonly string[];
  /** Cases that could not be evaluated (unreadable, different grids) and why. */
  readonly failed: readonly { readonly case: string; readonly error: string }[];
  readonly options: {
    readonly unit: "mm" | "voxel";
    readonly nsdTolerance: number;
    readonly bothEmpty: "perfect" | "nan";
    readonly oneEmptyDistance: number | "diagonal";
  };
}

/** Options of {@link evaluateFolders}. */
export interface EvaluateFoldersOptions {
  /** Class values to evaluate. @default the non-zero values of `labels`, else every non-zero value found */
  readonly classes?: readonly number[];
  /** Label value -> name (dataset.json `labels` inverted). */
  readonly names?: ReadonlyMap<number, string>;
  /** @default "mm" */
  readonly unit?: "mm" | "voxel";
  /** NSD tolerance in `unit`. @default 1 */
  readonly nsdTolerance?: number;
  /** A class absent from both maps (see src/metrics): "perfect" scores 1/0, "nan" excludes it. @default "perfect" */
  readonly bothEmpty?: "perfect" | "nan";
  /** Distances when exactly one map has the class. @default NaN (excluded from means, counted) */
  readonly oneEmptyDistance?: number | "diagonal";
  /** Largest relative affine difference accepted between a prediction and its reference. @default 1e-4 */
  readonly affineTolerance?: number;
  /** Called after each case. */
  readonly onCase?: (done: number, total: number, id: string) => void;
}

const NIFTI = /\.nii(\.gz)?$/i;

/** Case id of a file name: the name without .nii/.nii.gz. */
export function caseIdOf(file: string): string {
  return path.basename(file).replace(NIFTI, "");
}

async function listNifti(dir: string): Promise<Map<string, string>> {
  const names = await readdir(dir).catch((e: unknown) => {
    throw new RangeError(`Cannot list ${dir}: ${(e as { code?: string }).code === "ENOENT" ? "no such folder" : (e as Error).message}`);
  });
  const out = new Map<string, string>();
  for (const n of names.sort()) {
    if (n.startsWith(".") || !NIFTI.test(n)) continue;
    const id = caseIdOf(n);
    if (out.has(id)) throw new RangeError(`Cannot evaluate: ${dir} holds two files for case ${id}`);
    out.set(id, path.join(dir, n));
  }
  return out;
}

async function readLabels(p: string): Promise<Volume<"uint8" | "uint16">> {
  return asLabelVolume((await readNifti(p)).volume);
}

function stats(values: readonly number[]): MetricSummary {
  const finite = values.filter(Number.isFinite);
  const n = finite.length;
  if (n === 0) return { mean: NaN, std: NaN, median: NaN, n: 0, excluded: values.length };
  const mean = finite.reduce((a, b) => a + b, 0) / n;
  const std = Math.sqrt(finite.reduce((a, b) => a + (b - mean) ** 2, 0) / n);
  const sorted = [...finite].sort((a, b) => a - b);
  const median = n % 2 ? sorted[(n - 1) / 2]! : (sorted[n / 2 - 1]! + sorted[n / 2]!) / 2;
  return { mean, std, median, n, excluded: values.length - n };
}

/** Per-class summaries over evaluated cases. */
export function summarise(cases: readonly CaseResult[], classes: readonly number[], names: ReadonlyMap<number, string>): ClassSummary[] {
  return classes.map((label) => {
    const rows = cases.map((c) => c.classes.find((k) => k.label === label)).filter((k): k is CaseClassResult => k !== undefined);
    const metrics = Object.fromEntries(SUMMARY_METRICS.map((m) => [m, stats(rows.map((r) => r[m]))])) as Record<SummaryMetric, MetricSummary>;
    return { label, name: names.get(label) ?? `label ${label}`, metrics };
  });
}

/**
 * Evaluates every prediction that has a reference of the same case id.
 * @param predDir folder of predicted `.nii`/`.nii.gz` label maps
 * @param refDir folder of reference label maps (same file names)
 * @example
 * const report = await evaluateFolders("pred", "labelsTs", { names: new Map([[1, "anterior"], [2, "posterior"]]) });
 */
export async function evaluateFolders(predDir: string, refDir: string, opts: EvaluateFoldersOptions = {}): Promise<EvaluationReport> {
  const preds = await listNifti(predDir);
  const refs = await listNifti(refDir);
  const ids = [...refs.keys()].filter((id) => preds.has(id));
  const missing = [...refs.keys()].filter((id) => !preds.has(id));
  const extra = [...preds.keys()].filter((id) => !refs.has(id));
  if (ids.length === 0) throw new RangeError(`Cannot evaluate: no prediction in ${predDir} has a reference of the same name in ${refDir}`);
  const names = opts.names ?? new Map<number, string>();
  const metricOpts: EvaluateOptions = {
    unit: opts.unit ?? "mm",
    nsdTolerance: opts.nsdTolerance ?? 1,
    bothEmpty: opts.bothEmpty ?? "perfect",
    oneEmptyDistance: opts.oneEmptyDistance ?? NaN,
  };
  const tol = opts.affineTolerance ?? 1e-4;
  const loaded: { id: string; pred: Volume<"uint8" | "uint16">; ref: Volume<"uint8" | "uint16"> }[] = [];
  const failed: { case: string; error: string }[] = [];
  // Classes must be known before metrics, and without a label list they come from the data; the
  // maps are compact (uint8), so holding a folder's worth is cheap next to the images they came from.
  let classes = opts.classes ? [...opts.classes] : names.size > 0 ? [...names.keys()].filter((v) => v !== 0).sort((a, b) => a - b) : undefined;
  const found = new Set<number>();
  for (const id of ids) {
    try {
      const pred = await readLabels(preds.get(id)!);
      const ref = await readLabels(refs.get(id)!);
      if (pred.shape.some((s, a) => s !== ref.shape[a])) throw new RangeError(`shapes differ: prediction [${pred.shape.join(",")}], reference [${ref.shape.join(",")}]`);
      const diff = relativeAffineDiff(pred.affine, ref.affine);
      if (diff > tol) throw new RangeError(`the prediction lies on another grid than the reference (relative affine difference ${diff.toExponential(2)} > ${tol})`);
      if (!classes) for (const m of [pred, ref]) for (let i = 0; i < m.voxelCount; i++) if (m.data[i]) found.add(m.data[i]!);
      loaded.push({ id, pred, ref });
    } catch (e) {
      failed.push({ case: id, error: (e as Error).message });
    }
  }
  classes ??= [...found].sort((a, b) => a - b);
  const cases: CaseResult[] = [];
  loaded.forEach(({ id, pred, ref }, i) => {
    const metrics = evaluateSegmentation(pred, ref, { ...metricOpts, classes, spacing: ref.spacing });
    cases.push({ case: id, pred: preds.get(id)!, ref: refs.get(id)!, classes: metrics.map((m) => ({ ...m, name: names.get(m.label) ?? `label ${m.label}` })) });
    opts.onCase?.(i + 1, loaded.length, id);
  });
  const summary = summarise(cases, classes, names);
  const overall = Object.fromEntries(
    SUMMARY_METRICS.map((m) => {
      const means = summary.map((c) => c.metrics[m].mean).filter(Number.isFinite);
      return [m, means.length ? means.reduce((a, b) => a + b, 0) / means.length : NaN];
    }),
  ) as Record<SummaryMetric, number>;
  return {
    cases,
    classes: summary,
    overall,
    missing,
    extra,
    failed,
    options: { unit: metricOpts.unit!, nsdTolerance: opts.nsdTolerance ?? 1, bothEmpty: metricOpts.bothEmpty!, oneEmptyDistance: opts.oneEmptyDistance ?? NaN },
  };
}
