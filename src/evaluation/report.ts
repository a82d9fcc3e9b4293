// Evaluation report files: per-case CSV and JSON, a Markdown summary (mean ± std per class) and a
// PNG of per-class box plots. All written atomically.

import { mkdir } from "node:fs/promises";
import path from "node:path";
import { writeFileAtomic, writeJsonAtomic } from "../util/index.js";
import { METRIC_LABELS, SUMMARY_METRICS, type EvaluationReport } from "./evaluate-folders.js";
import { renderBoxPlotPng } from "./plot.js";

/** Per-class columns of the CSV, in order. */
const CSV_COLUMNS = [
  "dice",
  "jaccard",
  "hd95",
  "asd",
  "nsd",
  "hd",
  "nsdTolerance",
  "predVoxels",
  "refVoxels",
  "overlapVoxels",
  "predVolume",
  "refVolume",
  "volumeDiff",
  "relVolumeDiff",
] as const;

function csvField(v: string | number): string {
  if (typeof v === "number") return Number.isFinite(v) ? String(Number(v.toPrecision(10))) : Number.isNaN(v) ? "NaN" : v > 0 ? "Inf" : "-Inf";
  return /[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

/** One row per case and class. Non-finite values are written NaN / Inf. */
export function reportCsv(report: EvaluationReport): string {
  const lines = [["case", "label", "name", ...CSV_COLUMNS].join(",")];
  for (const c of report.cases) {
    for (const k of c.classes) lines.push([c.case, k.label, k.name, ...CSV_COLUMNS.map((col) => k[col])].map(csvField).join(","));
  }
  return `${lines.join("\n")}\n`;
}

/** The report as JSON-able data: non-finite numbers become null (JSON has no NaN). */
export function reportJson(report: EvaluationReport): unknown {
  return JSON.parse(JSON.stringify(report, (_k, v: unknown) => (typeof v === "number" && !Number.isFinite(v) ? null : v))) as unknown;
}

function fmt(v: number, digits: number): string {
  return Number.isFinite(v) ? v.toFixed(digits) : "–";
}

/** How many unmatched case names the Markdown summary shows. */
const LISTED_NAMES = 20;

function someNames(ids: readonly string[]): string {
  const shown = ids.slice(0, LISTED_NAMES).join(", ");
  return ids.length > LISTED_NAMES ? `${shown} and ${ids.length - LISTED_NAMES} more (all in evaluation.json)` : shown;
}

/** The Markdown summary: one row per class, mean ± std of each metric, and the policies used. */
export function reportMarkdown(report: EvaluationReport, title = "Evaluation"): string {
  const unit = report.options.unit;
  const label = (m: (typeof SUMMARY_METRICS)[number]) => (unit === "voxel" ? METRIC_LABELS[m].replace("(mm)", "(voxels)") : METRIC_LABELS[m]);
  const metrics = ["dice", "jaccard", "hd95", "asd"] as const;
  const out: string[] = [`# ${title}`, ""];
  out.push(`${report.cases.length} case(s) evaluated${report.failed.length ? `, ${report.failed.length} failed` : ""}${report.missing.length ? `, ${report.missing.length} reference(s) without prediction` : ""}.`, "");
  out.push(`| class | ${metrics.map(label).join(" | ")} | n |`, `|---|${metrics.map(() => "---:").join("|")}|---:|`);
  for (const c of report.classes) {
    const cells = metrics.map((m) => {
      const s = c.metrics[m];
      const d = m === "dice" || m === "jaccard" ? 3 : 2;
      const excl = s.excluded > 0 ? ` (${s.excluded} excl.)` : "";
      return `${fmt(s.mean, d)} ± ${fmt(s.std, d)}${excl}`;
    });
    out.push(`| ${c.name} (${c.label}) | ${cells.join(" | ")} | ${c.metrics.dice.n + c.metrics.dice.excluded} |`);
  }
  out.push(`| **mean over classes** | ${metrics.map((m) => `**${fmt(report.overall[m], m === "dice" || m === "jaccard" ? 3 : 2)}**`).join(" | ")} | |`, "");
  const one = report.options.oneEmptyDistance;
  out.push(
    "Values are mean ± standard deviation over cases (population std).",
    `Distances are in ${unit === "mm" ? "millimetres, using the reference's voxel spacing" : "voxels"}; NSD (in the CSV/JSON) at tolerance ${report.options.nsdTolerance} ${unit}.`,
    `Empty masks (src/metrics policy): a class absent from both prediction and reference scores ${report.options.bothEmpty === "perfect" ? "Dice = Jaccard = 1 and distances 0" : "NaN everywhere (left out)"}; ` +
      `a class present in only one of them scores Dice = Jaccard = 0 and HD95/ASD = ${typeof one === "number" && Number.isNaN(one) ? "NaN, which is left out of the mean and counted as \"excl.\"" : String(one)}.`,
    "",
  );
  if (report.failed.length) out.push("## Failed cases", "", ...report.failed.map((f) => `- ${f.case}: ${f.error}`), "");
  // Scoring a subset (e.g. a validation fold against the whole labelsTr) leaves most references
  // unmatched: the summary names a few, evaluation.json lists them all.
  if (report.missing.length) out.push(`## References without a prediction (${report.missing.length})`, "", someNames(report.missing), "");
  if (report.extra.length) out.push(`## Predictions without a reference (${report.extra.length})`, "", someNames(report.extra), "");
  return `${out.join("\n")}`;
}

/** Paths written by {@link writeEvaluationReport}. */
export interface ReportFiles {
  readonly csv: string;
  readonly json: string;
  readonly markdown: string;
  readonly png: string;
}

/**
 * Writes `cases.csv`, `evaluation.json`, `summary.md` and `boxplots.png` into `outDir`.
 * @example const files = await writeEvaluationReport(await evaluateFolders("pred", "labelsTs"), "pred/evaluation");
 */
export async function writeEvaluationReport(report: EvaluationReport, outDir: string, opts: { title?: string; fsync?: boolean } = {}): Promise<ReportFiles> {
  await mkdir(outDir, { recursive: true });
  const files: ReportFiles = {
    csv: path.join(outDir, "cases.csv"),
    json: path.join(outDir, "evaluation.json"),
    markdown: path.join(outDir, "summary.md"),
    png: path.join(outDir, "boxplots.png"),
  };
  const fsync = { fsync: opts.fsync ?? true };
  await writeFileAtomic(files.csv, reportCsv(report), fsync);
  await writeJsonAtomic(files.json, reportJson(report), fsync);
  await writeFileAtomic(files.markdown, reportMarkdown(report, opts.title), fsync);
  await writeFileAtomic(files.png, await renderBoxPlotPng(report), fsync);
  return files;
}
