// `labelwise demo`: the whole supervised pipeline on a generated phantom, end to end and offline.
// It calls the functions behind the commands — writePhantomDataset, planDataset (`plan`),
// trainExperiment (`train`), loadInferenceModel/discoverCases/predictCases (`predict`),
// evaluateFolders/writeEvaluationReport (`evaluate`) — with settings sized for a 2-core CPU:
// the full demo takes about 6 minutes there, `quick` well under a minute and a half.
//
// Folder layout under `out`:
//   demo.json                       what ran (seed, settings); marks the folder as a demo's
//   Dataset900_Phantom/             the raw dataset (imagesTr, labelsTr, imagesTs, labelsTs, boxes)
//   runs/Dataset900_Phantom/        plans.json, splits, preprocessed cache and the training run
//   predictions/<case>.nii.gz       segmentations of imagesTs
//   evaluation/                     cases.csv, evaluation.json, summary.md, boxplots.png
import { mkdir, readdir, rm, stat } from "node:fs/promises";
import path from "node:path";
import { type PhantomDatasetOptions, type PlannerOptions, writePhantomDataset } from "../data/index.js";
import { type EvaluationReport, type ReportFiles, evaluateFolders, writeEvaluationReport } from "../evaluation/index.js";
import { type BatchEvent, type InferenceModel, discoverCases, loadInferenceModel, predictCases } from "../inference/index.js";
import { setNumThreads } from "../tensor/index.js";
import type { TrainingReporter } from "../training/index.js";
import { writeJsonAtomic } from "../util/index.js";
import { parseExperimentConfig } from "./config.js";
import { planDataset } from "./plan-dataset.js";
import type { ExperimentConfig } from "./schema.js";
import { trainExperiment } from "./train-experiment.js";

/** Name of the demo's dataset folder (nnU-Net's DatasetXXX_Name convention). */
export const DEMO_DATASET = "Dataset900_Phantom";
/** The marker file that makes a folder a demo's (and lets a rerun replace it). */
export const DEMO_MARKER = "demo.json";

/** Everything the demo's numbers depend on besides the seed. */
export interface DemoSettings {
  /** Phantom generator and dataset options (seed excluded). */
  readonly phantom: Omit<PhantomDatasetOptions, "seed" | "overwrite">;
  readonly planner: PlannerOptions;
  /** Experiment config (JSON, as a config file would hold it; seed and threads are added). */
  readonly config: Readonly<Record<string, unknown>>;
  /** Sliding-window overlap at prediction. */
  readonly overlap: number;
}

/**
 * The demo's settings. Full: 30 training and 8 test phantoms of 64³ with three organs (a blob, an
 * ellipsoid and a thin curved tube), 400 iterations of a 4-level U-Net with 16 base filters on 48³
 * patches (batch 2), Adam with a cosine schedule: about 5 minutes of training on 2 cores, mean test
 * Dice about 0.93. Quick (tests): 8 + 3 phantoms of 40³ with two organs, 200 iterations of a
 * 3-level U-Net on 32³ patches, about 30 s. (With 8 base filters the quick run missed the small
 * organ altogether for some seeds.)
 */
export function demoSettings(quick: boolean): DemoSettings {
  if (quick) {
    return {
      phantom: { cases: 8, testCases: 3, shape: [40, 40, 40], classes: 2, name: "Phantom" },
      planner: { baseFilters: 16, maxPatchVoxels: 32 ** 3, maxLevels: 3 },
      config: {
        optimizer: { kind: "adam", lr: 0.003 },
        schedule: { kind: "cosine" },
        split: { folds: 4 },
        training: { epochs: 8, iterationsPerEpoch: 25, validationCases: 2, validateEvery: 2 },
        data: { workers: 1, foregroundOversampling: 0.5 },
      },
      overlap: 0.25,
    };
  }
  return {
    phantom: { cases: 30, testCases: 8, shape: [64, 64, 64], classes: 3, name: "Phantom" },
    planner: { baseFilters: 16, maxPatchVoxels: 48 ** 3, maxLevels: 4 },
    config: {
      optimizer: { kind: "adam", lr: 0.003 },
      schedule: { kind: "cosine", warmupIterations: 20 },
      split: { folds: 6 },
      training: { epochs: 10, iterationsPerEpoch: 40, validationCases: 3, validateEvery: 2 },
      data: { workers: 1 },
    },
    overlap: 0.25,
  };
}

/** Stages of the demo, in order. */
export type DemoStage = "generate" | "plan" | "train" | "predict" | "evaluate";

/** Progress of the demo outside training (training reports through `reporters`). */
export type DemoEvent =
  | { readonly event: "stage"; readonly stage: DemoStage; readonly message: string }
  | { readonly event: "stage-done"; readonly stage: DemoStage; readonly seconds: number; readonly message: string }
  | { readonly event: "log"; readonly stage: DemoStage; readonly message: string }
  | { readonly event: "predict"; readonly batch: BatchEvent }
  | { readonly event: "evaluate"; readonly done: number; readonly total: number; readonly case: string };

export interface DemoOptions {
  /** Folder of everything the demo writes (created; a previous demo's folder is replaced). */
  readonly out: string;
  /** Seed of the phantoms and of training. @default 0 */
  readonly seed?: number;
  /** libtorch intra-op threads for training and prediction. @default libtorch's (all cores) */
  readonly threads?: number;
  /** Tiny dataset and training (for tests). @default false */
  readonly quick?: boolean;
  /** Replaces {@link demoSettings} (experiments, tests). */
  readonly settings?: DemoSettings;
  readonly reporters?: readonly TrainingReporter[];
  readonly onEvent?: (e: DemoEvent) => void;
  /** Stops training at the next iteration boundary (with a checkpoint); the demo then fails. */
  readonly signal?: AbortSignal;
}

/** Mean Dice of one class over the test cases. */
export interface ClassDice {
  readonly label: number;
  readonly name: string;
  readonly mean: number;
  readonly std: number;
}

export interface DemoResult {
  readonly out: string;
  readonly dataset: string;
  readonly runDir: string;
  readonly predictionsDir: string;
  /** One label map per test case. */
  readonly predictions: readonly string[];
  readonly evaluation: ReportFiles;
  readonly report: EvaluationReport;
  readonly dice: readonly ClassDice[];
  /** Mean over classes of the per-class mean Dice. */
  readonly meanDice: number;
  readonly testCases: number;
  readonly seconds: Readonly<Record<DemoStage | "total", number>>;
}

/** A demo failure with the stage it happened in. */
export class DemoError extends Error {
  constructor(
    readonly stage: DemoStage | "setup",
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = "DemoError";
  }
}

/** Makes `out` ready: created if absent, a previous demo's outputs removed, anything else refused. */
async function prepareOut(out: string): Promise<void> {
  const entries = await readdir(out).catch((e: NodeJS.ErrnoException) => {
    if (e.code === "ENOENT") return null;
    throw new DemoError("setup", `Cannot use ${out} as the demo folder: ${e.code === "ENOTDIR" ? "it is a file" : e.message}`);
  });
  if (entries === null || entries.length === 0) return;
  if (!entries.includes(DEMO_MARKER)) {
    throw new DemoError("setup", `Cannot use ${out} as the demo folder: it is not empty and holds no ${DEMO_MARKER} from an earlier demo (choose another --out, or empty it)`);
  }
  for (const name of [DEMO_DATASET, "runs", "predictions", "evaluation", DEMO_MARKER]) await rm(path.join(out, name), { recursive: true, force: true });
}

const time = (): number => performance.now() / 1000;

/**
 * Runs the demo: phantom dataset → plan → train (supervised) → predict imagesTs → evaluate
 * against labelsTs.
 * @throws DemoError naming the stage that failed (the underlying error as its cause)
 * @example const r = await runDemo({ out: "labelwise-demo", seed: 0 }); console.log(r.meanDice);
 */
export async function runDemo(o: DemoOptions): Promise<DemoResult> {
  const t0 = time();
  const out = path.resolve(o.out);
  const seed = o.seed ?? 0;
  if (!Number.isSafeInteger(seed) || seed < 0 || seed > 0xffffffff) throw new DemoError("setup", `Cannot run the demo: the seed must be an integer in 0..${0xffffffff}. Received: ${seed}`);
  const s = o.settings ?? demoSettings(o.quick ?? false);
  const emit = o.onEvent ?? (() => {});
  const seconds: Record<string, number> = {};
  const stage = async <T>(name: DemoStage, message: string, fn: () => Promise<T>, done: (r: T) => string): Promise<T> => {
    emit({ event: "stage", stage: name, message });
    const start = time();
    let r: T;
    try {
      r = await fn();
    } catch (e) {
      if (e instanceof DemoError) throw e;
      throw new DemoError(name, `${name} failed: ${(e as Error).message}`, { cause: e });
    }
    seconds[name] = time() - start;
    emit({ event: "stage-done", stage: name, seconds: seconds[name], message: done(r) });
    return r;
  };

  await prepareOut(out);
  await mkdir(out, { recursive: true });
  await writeJsonAtomic(path.join(out, DEMO_MARKER), { format: "labelwise-demo", version: 1, seed, quick: o.quick ?? false, threads: o.threads ?? null, settings: s, startedAt: new Date().toISOString() });
  if (o.threads !== undefined) setNumThreads(o.threads);

  const datasetDir = path.join(out, DEMO_DATASET);
  const runsDir = path.join(out, "runs");
  const ph = s.phantom;
  const ds = await stage(
    "generate",
    `generating ${ph.cases} training and ${ph.testCases} test phantoms (${(ph.shape ?? [64, 64, 64]).join("x")}, ${typeof ph.classes === "number" ? ph.classes : (ph.classes?.length ?? 3)} organs, seed ${seed}) in ${datasetDir}`,
    () => writePhantomDataset(datasetDir, { ...ph, seed }),
    (r) => `wrote ${r.training.length + r.test.length} cases`,
  );

  const planned = await stage(
    "plan",
    "planning (fingerprint, spacing, patch size, network)",
    () => planDataset(datasetDir, { out: runsDir, ...s.planner }),
    (r) => {
      const c = r.plans.configurations["3d_fullres"] as { patchSize?: number[] } | undefined;
      return `wrote ${r.workspace.plans}${c?.patchSize ? ` (patch ${c.patchSize.join("x")})` : ""}`;
    },
  );

  const config: ExperimentConfig = parseExperimentConfig({ ...s.config, seed, strategy: { kind: "supervised" }, training: { ...(s.config.training as object), ...(o.threads !== undefined ? { threads: o.threads } : {}) } }, "demo settings");
  const trained = await stage(
    "train",
    `training a supervised U-Net: ${config.training.epochs} epochs × ${config.training.iterationsPerEpoch} iterations`,
    async () => {
      const r = await trainExperiment({ dataset: datasetDir, config, out: runsDir, log: (message) => emit({ event: "log", stage: "train", message }), ...(o.reporters ? { reporters: o.reporters } : {}), ...(o.signal ? { signal: o.signal } : {}) });
      if (r.status === "interrupted") throw new DemoError("train", `training was interrupted at iteration ${r.state.iteration}; its checkpoint is in ${r.runDir}`);
      return r;
    },
    (r) => `trained ${r.state.iteration} iterations; run directory ${r.runDir}`,
  );

  const predictionsDir = path.join(out, "predictions");
  const predicted = await stage(
    "predict",
    `predicting the ${ds.test.length} test scans (sliding window, overlap ${s.overlap})`,
    async () => {
      let model: InferenceModel | undefined;
      try {
        model = await loadInferenceModel(trained.runDir);
        const cases = await discoverCases(path.join(datasetDir, "imagesTs"), model.inChannels);
        const summary = await predictCases(cases, predictionsDir, [model], { overlap: s.overlap, resume: false, fsync: false, onEvent: (e) => emit({ event: "predict", batch: e }) });
        if (summary.failed.length) throw new Error(`${summary.failed.length} case(s) failed: ${summary.failed.map((f) => `${f.id}: ${f.error.message}`).join("; ")}`);
        return summary;
      } finally {
        model?.dispose();
      }
    },
    (r) => `${r.done.length} segmentations in ${predictionsDir}`,
  );

  const evaluationDir = path.join(out, "evaluation");
  const names = new Map(Object.entries(planned.plans.labels).map(([n, v]) => [v, n] as const));
  const evaluated = await stage(
    "evaluate",
    "evaluating against labelsTs (Dice, Jaccard, HD95, ASD, NSD)",
    async () => {
      const report = await evaluateFolders(predictionsDir, path.join(datasetDir, "labelsTs"), { names, onCase: (done, total, id) => emit({ event: "evaluate", done, total, case: id }) });
      if (report.failed.length) throw new Error(`${report.failed.length} case(s) could not be evaluated: ${report.failed.map((f) => `${f.case}: ${f.error}`).join("; ")}`);
      if (report.missing.length) throw new Error(`no prediction for ${report.missing.join(", ")}`);
      const files = await writeEvaluationReport(report, evaluationDir, { title: "labelwise demo: supervised U-Net on phantom test cases", fsync: false });
      return { report, files };
    },
    (r) => `wrote ${r.files.markdown} and ${r.files.png}`,
  );

  const predictions = predicted.done.map((id) => path.join(predictionsDir, `${id}.nii.gz`));
  for (const p of predictions) await stat(p).catch(() => { throw new DemoError("predict", `the prediction ${p} is missing`); });
  const dice = evaluated.report.classes.map((c) => ({ label: c.label, name: c.name, mean: c.metrics.dice.mean, std: c.metrics.dice.std }));
  return {
    out,
    dataset: datasetDir,
    runDir: trained.runDir,
    predictionsDir,
    predictions,
    evaluation: evaluated.files,
    report: evaluated.report,
    dice,
    meanDice: evaluated.report.overall.dice,
    testCases: evaluated.report.cases.length,
    seconds: { ...seconds, total: time() - t0 } as Record<DemoStage | "total", number>,
  };
}
