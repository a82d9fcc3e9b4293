// Running one accuracy row: plan (shared per work root and dataset) → train through the experiment
// layer (the code `labelwise train` runs) → sliding-window prediction of the fold's validation cases
// with the final checkpoint (the code `labelwise predict` runs) → metrics in mm (the code
// `labelwise evaluate` runs). A row interrupted by a signal or a killed session resumes its training
// from checkpoint_latest on the next invocation; the trainer carries its wall time across pieces.
import { createHash } from "node:crypto";
import { copyFile, mkdir, readFile, rm } from "node:fs/promises";
import { existsSync } from "node:fs";
import path from "node:path";
import { datasetName, loadSplits, openDataset } from "../../src/data/index.js";
import { evaluateFolders, writeEvaluationReport } from "../../src/evaluation/index.js";
import { type ExperimentConfig, parseExperimentConfig, planDataset, strategyKinds, trainExperiment, workspace } from "../../src/experiment/index.js";
import { type CaseSource, loadInferenceModel, predictCases } from "../../src/inference/index.js";
import type { TrainingEvent, TrainingReporter } from "../../src/training/index.js";
import { writeJsonAtomic } from "../../src/util/index.js";
import { machineInfo } from "../harness/index.js";
import type { ClassScore, MetricStat, SegmentationPart, SegmentationRow, WorkRoot } from "./types.js";

export interface RunRowContext {
  readonly suite: string;
  readonly profile: "full" | "quick";
  /** Repository root (bench/work and bench/results live under it). */
  readonly root: string;
  /** Override of the row's training iterations. */
  readonly iterations?: number | undefined;
  /** Discard the row's earlier run (checkpoints, predictions) and train again. */
  readonly fresh?: boolean;
  /** Aborting stops training at the next iteration with a checkpoint; the row then throws RowInterrupted. */
  readonly signal?: AbortSignal;
  readonly log: (message: string) => void;
  /** Sees every training event too (tests: interrupt at a given iteration). */
  readonly onTrainingEvent?: (e: TrainingEvent) => void;
}

/** Training stopped by the signal; the checkpoint lets the next invocation resume. */
export class RowInterrupted extends Error {
  override readonly name = "RowInterrupted";
}

/** A row that cannot run as configured (unknown strategy kind, invalid config, ...). */
export class RowConfigError extends Error {
  override readonly name = "RowConfigError";
}

const SAFE = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/** bench/work/<work root>: plans, splits, caches and runs of every dataset trained under it. */
export function workDir(root: string, work: WorkRoot): string {
  if (!SAFE.test(work.name)) throw new RangeError(`Work root names are [A-Za-z0-9_.-]. Received: ${JSON.stringify(work.name)}`);
  return path.join(root, "bench", "work", work.name);
}

/** The part name of a row: `<row>` for full runs, `<row>.quick` for quick ones. */
export function partName(row: string, profile: "full" | "quick"): string {
  return profile === "full" ? row : `${row}.${profile}`;
}

/**
 * The row's experiment config with the iteration override applied: the epoch length is kept and
 * the number of epochs scaled (one shorter epoch when fewer iterations than one epoch are asked).
 */
export function withIterations(config: Readonly<Record<string, unknown>>, iterations: number | undefined): Record<string, unknown> {
  const cfg = structuredClone(config) as Record<string, unknown>;
  if (iterations === undefined) return cfg;
  if (!Number.isInteger(iterations) || iterations < 1) throw new RangeError(`iterations must be a positive integer. Received: ${iterations}`);
  const training = { ...((cfg.training as Record<string, unknown> | undefined) ?? {}) };
  const perEpoch = typeof training.iterationsPerEpoch === "number" ? training.iterationsPerEpoch : 250;
  if (iterations < perEpoch) {
    training.iterationsPerEpoch = iterations;
    training.epochs = 1;
  } else training.epochs = Math.max(1, Math.round(iterations / perEpoch));
  cfg.training = training;
  return cfg;
}

/** Hash of everything that defines a row's numbers: a saved part or run with another hash is redone. */
export function rowFingerprint(row: SegmentationRow, iterations: number | undefined): string {
  const identity = {
    dataset: path.resolve(row.dataset),
    labels: row.labels ? path.resolve(row.labels) : null,
    work: row.work,
    planFrom: row.planFrom ? path.resolve(row.planFrom) : null,
    config: withIterations(row.config, iterations),
    evalCases: row.evalCases ?? null,
    overlap: row.overlap ?? 0.5,
    // Only when on, so rows without TTA keep the fingerprint their saved parts were made with.
    ...(row.tta ? { tta: true } : {}),
    meta: row.meta,
  };
  return createHash("sha256").update(JSON.stringify(identity)).digest("hex").slice(0, 16);
}

/** Validates the row's config; an unregistered strategy kind is named with the kinds this build has. */
export function resolveRowConfig(row: SegmentationRow, iterations: number | undefined): ExperimentConfig {
  const raw = withIterations(row.config, iterations);
  const kind = (raw.strategy as { kind?: unknown } | undefined)?.kind ?? "supervised";
  const known = strategyKinds() as string[];
  if (typeof kind !== "string" || !known.includes(kind)) {
    throw new RowConfigError(`row ${row.name}: strategy kind ${JSON.stringify(kind)} is not registered in this build (src/experiment/registry.ts has: ${known.join(", ")})`);
  }
  try {
    return parseExperimentConfig(raw, `row ${row.name}`);
  } catch (e) {
    throw new RowConfigError(`row ${row.name}: invalid experiment config: ${(e as Error).message}`, { cause: e });
  }
}

/** Plans the row's dataset once per work root (or copies the plans of the dataset it derives from). */
async function ensurePlans(row: SegmentationRow, out: string, log: (m: string) => void): Promise<void> {
  const ds = await openDataset(row.dataset);
  const ws = workspace(out, datasetName(ds));
  if (existsSync(ws.plans)) return;
  if (row.planFrom) {
    const src = await openDataset(row.planFrom);
    const srcWs = workspace(out, datasetName(src));
    if (!existsSync(srcWs.plans)) {
      log(`planning ${datasetName(src)} (fingerprint, spacing, patch size)`);
      await planDataset(row.planFrom, { out, ...row.work.planner });
    }
    await mkdir(ws.root, { recursive: true });
    await copyFile(srcWs.plans, ws.plans);
    if (existsSync(srcWs.fingerprint)) await copyFile(srcWs.fingerprint, ws.fingerprint);
    log(`${datasetName(ds)} uses the plans of ${datasetName(src)} (same images)`);
    return;
  }
  log(`planning ${datasetName(ds)} (fingerprint, spacing, patch size)`);
  await planDataset(row.dataset, { out, ...row.work.planner });
}

/** Progress on stderr: about 20 lines per run, validation results, and the trainer's wall time at the end. */
function progressReporter(row: string, log: (m: string) => void): TrainingReporter & { seconds: number | null; iteration: number } {
  let total = 0;
  let every = 1;
  let first = 0;
  let t0 = performance.now();
  const r = {
    seconds: null as number | null,
    iteration: 0,
    onEvent(e: TrainingEvent) {
      switch (e.event) {
        case "start":
          total = e.totalIterations;
          first = e.iteration;
          every = Math.max(1, Math.round(total / 20));
          t0 = performance.now();
          log(`${row}: training ${e.resumed ? `resumed at iteration ${e.iteration}` : "from scratch"} (${total} iterations) in ${e.runDir}`);
          return;
        case "iteration": {
          r.iteration = e.iteration + 1;
          if (r.iteration % every !== 0 && r.iteration !== total) return;
          const perIt = (performance.now() - t0) / 1000 / Math.max(1, r.iteration - first);
          const eta = ((total - r.iteration) * perIt) / 60;
          log(`${row}: it ${r.iteration}/${total} loss ${e.loss.toFixed(4)} lr ${e.lr.toExponential(2)} ${perIt.toFixed(2)} s/it eta ${eta.toFixed(1)} min`);
          return;
        }
        case "validation":
          log(`${row}: validation (${e.cases} cases, patch tiles) mean Dice ${e.meanDice === null ? "-" : e.meanDice.toFixed(4)}${e.best ? " (best so far)" : ""}`);
          return;
        case "end":
          r.seconds = e.seconds;
          r.iteration = e.iteration;
          return;
        default:
          return;
      }
    },
  };
  return r;
}

const stat = (s: { mean: number; std: number; excluded: number }): MetricStat => ({
  mean: Number.isFinite(s.mean) ? s.mean : null,
  std: Number.isFinite(s.std) ? s.std : null,
  excluded: s.excluded,
});
const finite = (v: number): number | null => (Number.isFinite(v) ? v : null);

/**
 * Runs (or resumes) one row and returns its part.
 * @throws RowConfigError before any work for an unusable config; RowInterrupted when the signal
 *   stopped training; whatever planning, training, prediction or evaluation throws
 */
export async function runSegmentationRow(row: SegmentationRow, ctx: RunRowContext): Promise<SegmentationPart> {
  if (!SAFE.test(row.name)) throw new RowConfigError(`Row names are [A-Za-z0-9_.-]. Received: ${JSON.stringify(row.name)}`);
  const cfg = resolveRowConfig(row, ctx.iterations);
  const fingerprint = rowFingerprint(row, ctx.iterations);
  const log = ctx.log;
  const out = workDir(ctx.root, row.work);

  await row.prepare?.();
  await ensurePlans(row, out, log);
  const ds = await openDataset(row.dataset);
  const ws = workspace(out, datasetName(ds));
  const runDir = path.join(ws.root, "bench", ctx.suite, partName(row.name, ctx.profile));
  const marker = path.join(runDir, "bench-row.json");

  // A run of another definition of this row (or --fresh) is discarded: resuming it would mix configs.
  let previous: string | null = null;
  try {
    previous = (JSON.parse(await readFile(marker, "utf8")) as { fingerprint?: string }).fingerprint ?? null;
  } catch {
    previous = null;
  }
  if (existsSync(runDir) && (ctx.fresh || previous !== fingerprint)) {
    log(`${row.name}: discarding the earlier run in ${runDir} (${ctx.fresh ? "--fresh" : "the row's definition changed"})`);
    await rm(runDir, { recursive: true, force: true });
  }
  await mkdir(runDir, { recursive: true });
  await writeJsonAtomic(marker, { suite: ctx.suite, row: row.name, profile: ctx.profile, fingerprint });

  const progress = progressReporter(row.name, log);
  const resume = existsSync(path.join(runDir, "checkpoint_latest.json"));
  const trained = await trainExperiment({
    dataset: row.dataset,
    config: cfg,
    out,
    runDir,
    resume,
    reporters: ctx.onTrainingEvent ? [progress, { onEvent: ctx.onTrainingEvent }] : [progress],
    ...(ctx.signal ? { signal: ctx.signal } : {}),
    log: (m) => log(`${row.name}: ${m}`),
  });
  if (trained.status === "interrupted") throw new RowInterrupted(`${row.name}: training interrupted at iteration ${trained.state.iteration}; run the same command again to resume from ${runDir}`);
  const trainSeconds = progress.seconds;

  // The validation cases of the run's own fold (the splits file its config.json names).
  const record = JSON.parse(await readFile(path.join(runDir, "config.json"), "utf8")) as { splitsFile: string; fold: number };
  const fold = (await loadSplits(record.splitsFile)).splits[record.fold];
  if (!fold) throw new Error(`${row.name}: ${record.splitsFile} has no fold ${record.fold}`);
  const valIds = fold.val.slice(0, row.evalCases ?? undefined);
  if (valIds.length === 0) throw new Error(`${row.name}: the fold has no validation cases to score (split.folds must be > 1)`);
  const byId = new Map(ds.training.map((c) => [c.id, c]));
  const sources: CaseSource[] = valIds.map((id) => ({ kind: "nifti", id, files: byId.get(id)!.images }));

  const predDir = path.join(runDir, "predictions");
  const t0 = performance.now();
  const model = await loadInferenceModel(runDir, { checkpoint: "final" });
  try {
    log(`${row.name}: predicting ${sources.length} validation case(s) (sliding window, overlap ${row.overlap ?? 0.5}${row.tta ? ", mirroring TTA" : ""})`);
    const summary = await predictCases(sources, predDir, [model], {
      overlap: row.overlap ?? 0.5,
      tta: row.tta ?? false,
      resume: true,
      fsync: false,
      onEvent: (e) => {
        if (e.type === "fail") log(`${row.name}: prediction of ${e.id} failed: ${e.error.message}`);
      },
    });
    if (summary.failed.length) throw new Error(`${row.name}: ${summary.failed.length} prediction(s) failed: ${summary.failed.map((f) => `${f.id}: ${f.error.message}`).join("; ")}`);
  } finally {
    model.dispose();
  }
  const predictMinutes = (performance.now() - t0) / 60_000;

  const names = new Map(Object.entries(ds.json.labels).flatMap(([n, v]) => (typeof v === "number" && v > 0 ? [[v, n] as const] : [])));
  const report = await evaluateFolders(predDir, row.labels ?? path.join(row.dataset, "labelsTr"), { names });
  if (report.failed.length) throw new Error(`${row.name}: ${report.failed.length} case(s) could not be evaluated: ${report.failed.map((f) => `${f.case}: ${f.error}`).join("; ")}`);
  const scored = new Set(report.cases.map((c) => c.case));
  const unscored = valIds.filter((id) => !scored.has(id));
  if (unscored.length) throw new Error(`${row.name}: no reference label for validation case(s) ${unscored.join(", ")}`);
  await writeEvaluationReport(report, path.join(runDir, "evaluation"), { title: `${ctx.suite} / ${row.name}: validation cases`, fsync: false });

  const classes: ClassScore[] = report.classes.map((c) => ({
    label: c.label,
    name: c.name,
    dice: stat(c.metrics.dice),
    jaccard: stat(c.metrics.jaccard),
    hd95: stat(c.metrics.hd95),
    asd: stat(c.metrics.asd),
  }));
  return {
    suite: ctx.suite,
    row: row.name,
    profile: ctx.profile,
    status: "done",
    fingerprint,
    meta: row.meta,
    dataset: path.resolve(row.dataset),
    config: cfg,
    runDir: path.relative(ctx.root, runDir),
    trainMinutes: trainSeconds === null ? null : trainSeconds / 60,
    iterations: progress.iteration,
    trainingCases: { labelled: fold.train.labelled.length, unlabelled: fold.train.unlabelled.length, boxes: fold.train.boxes.length },
    valCases: valIds,
    classes,
    mean: { dice: finite(report.overall.dice), jaccard: finite(report.overall.jaccard), hd95: finite(report.overall.hd95), asd: finite(report.overall.asd) },
    perCaseDice: report.cases.map((c) => ({ case: c.case, dice: c.classes.map((k) => finite(k.dice)) })),
    predictMinutes,
    machine: machineInfo(ctx.root),
    finishedAt: new Date().toISOString(),
  };
}

/** The part saved for a row that failed (the report shows the reason; the next invocation retries it). */
export function failedPart(row: SegmentationRow, ctx: Pick<RunRowContext, "suite" | "profile" | "root" | "iterations">, error: unknown): SegmentationPart {
  const message = error instanceof Error ? error.message : String(error);
  return {
    suite: ctx.suite,
    row: row.name,
    profile: ctx.profile,
    status: "failed",
    error: message,
    fingerprint: rowFingerprint(row, ctx.iterations),
    meta: row.meta,
    dataset: path.resolve(row.dataset),
    config: null,
    runDir: null,
    trainMinutes: null,
    iterations: null,
    trainingCases: null,
    valCases: [],
    classes: [],
    mean: null,
    perCaseDice: [],
    predictMinutes: null,
    machine: machineInfo(ctx.root),
    finishedAt: new Date().toISOString(),
  };
}

/**
 * The training settings the semi and weak suites share for `iterations` optimizer steps: Adam 1e-3
 * with a cosine decay after a 5 % warm-up, 100-iteration epochs (quick: two epochs), 2 threads.
 */
export function suiteTraining(iterations: number, profile: "full" | "quick"): Record<string, unknown> {
  // Quick: two epochs (one validation at the end, checkpoints at both ends).
  const perEpoch = profile === "full" ? 100 : Math.max(1, Math.round(iterations / 2));
  return {
    network: { baseFilters: profile === "full" ? 16 : 8 },
    optimizer: { kind: "adam", lr: 1e-3 },
    schedule: { kind: "cosine", warmupIterations: Math.round(iterations * 0.05) },
    training: {
      epochs: Math.max(1, Math.round(iterations / perEpoch)),
      iterationsPerEpoch: perEpoch,
      validateEvery: profile === "full" ? 5 : 2,
      validationCases: profile === "full" ? 6 : 1,
      threads: 2,
    },
  };
}
