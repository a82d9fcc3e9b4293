// `labelwise train`: the composition root of a training run. It opens the dataset, loads (or
// makes) the plans, picks the fold, preprocesses the cases it needs (cached), builds the strategy,
// optimizer, schedule and batch loader, restores the latest checkpoint on resume, and hands all of
// it to the Trainer.
import { existsSync } from "node:fs";
import { mkdir, readFile } from "node:fs/promises";
import path from "node:path";
import {
  BatchLoader,
  CaseStore,
  canonicalHash,
  ConfigError,
  type PlanConfiguration,
  type Plans,
  type SamplerConfig,
  datasetName,
  loadPlans,
  openDataset,
  preprocessDataset,
  resolvePlanConfiguration,
} from "../data/index.js";
import type { JsonObject } from "../nn/index.js";
import { setDeterministic, setNumThreads, seedEverything, streamGenerator } from "../tensor/index.js";
import {
  type LoadedCheckpoint,
  type StrategyEnv,
  Trainer,
  type TrainingReporter,
  type TrainingResult,
  loadCheckpoint,
  restoreCheckpoint,
  truncateMetrics,
  validate,
} from "../training/index.js";
import { writeJsonAtomic } from "../util/index.js";
import { parseExperimentConfig, resumeConflicts } from "./config.js";
import { networkFromPlan, patchShapeDHW } from "./network.js";
import { buildOptimizer, buildSchedule } from "./optimizer.js";
import { planDataset } from "./plan-dataset.js";
import { provenance } from "./provenance.js";
import { createStrategy } from "./registry.js";
import { foldForRun } from "./run-splits.js";
import { strategyData } from "./strategy-data.js";
import type { ExperimentConfig } from "./schema.js";
import { workspace } from "./workspace.js";

export interface TrainExperimentOptions {
  dataset: string;
  config: ExperimentConfig;
  /** Root of the work folders. @default "runs" */
  out?: string;
  /**
   * The run directory. @default <out>/<dataset>/<plan>/<strategy>/fold_<k>; set it when several
   * runs share a strategy kind and fold (benchmark rows) but should share the plan and cache.
   */
  runDir?: string;
  /** Continue from the run's latest checkpoint. @default false */
  resume?: boolean;
  reporters?: readonly TrainingReporter[];
  /** Abort to stop at the next iteration boundary with a checkpoint (Ctrl-C). */
  signal?: AbortSignal;
  /** Messages for the user (planning, preprocessing). */
  log?: (message: string) => void;
}

export interface TrainExperimentResult extends TrainingResult {
  runDir: string;
}

/** The run directory's config.json: the resolved config plus provenance. */
interface RunRecord {
  format: "labelwise-run";
  version: 1;
  dataset: { name: string; path: string };
  plan: { name: string; plansSha256: string };
  splitsFile: string;
  fold: number;
  seed: number;
  config: ExperimentConfig;
  provenance: ReturnType<typeof provenance>;
}

async function plansFor(dataset: string, out: string, log: (m: string) => void): Promise<Plans> {
  const ds = await openDataset(dataset);
  const ws = workspace(out, datasetName(ds));
  if (existsSync(ws.plans)) return loadPlans(ws.plans);
  log(`no plans for ${datasetName(ds)} yet: planning with the defaults (run \`labelwise plan\` to choose options)`);
  return (await planDataset(dataset, { out })).plans;
}

function samplerFor(cfg: ExperimentConfig, plan: PlanConfiguration, plans: Plans, fold: { train: { labelled: string[]; unlabelled: string[]; boxes: string[] } }, composition: SamplerConfig["composition"]): SamplerConfig {
  return {
    seed: cfg.seed,
    patchSize: plan.patchSize,
    spacing: plan.spacing,
    channels: plans.channels.length,
    numClasses: plans.numClasses,
    maxLabelValue: Math.max(plans.numClasses - 1, plans.ignoreLabel ?? 0),
    composition,
    cases: fold.train,
    foregroundOversampling: cfg.data.foregroundOversampling,
    augmentation: cfg.data.augmentation,
  };
}

/**
 * Trains (or resumes) one fold.
 * @throws ConfigError for invalid or conflicting configs, DatasetError for unusable data, and
 *   whatever training throws (WorkerDiedError, a diverged loss, ...)
 */
export async function trainExperiment(o: TrainExperimentOptions): Promise<TrainExperimentResult> {
  const log = o.log ?? (() => {});
  const out = o.out ?? "runs";
  const cfg = o.config;
  const ds = await openDataset(o.dataset);
  const ws = workspace(out, datasetName(ds));
  const plans = await plansFor(o.dataset, out, log);
  const plan = resolvePlanConfiguration(plans, cfg.plan);
  const runDir = o.runDir !== undefined ? path.resolve(o.runDir) : ws.runDir(cfg.plan, cfg.strategy.kind, cfg.split.fold);
  const recordPath = path.join(runDir, "config.json");

  let resumeFrom: LoadedCheckpoint | null = null;
  let recordedSplits: string | undefined;
  if (o.resume) {
    if (!existsSync(recordPath)) throw new ConfigError(recordPath, [{ path: "", message: "nothing to resume: this run directory has no config.json (start without --resume)" }]);
    const saved = JSON.parse(await readFile(recordPath, "utf8")) as RunRecord;
    recordedSplits = saved.splitsFile;
    const conflicts = resumeConflicts(parseExperimentConfig(saved.config, recordPath), cfg);
    if (conflicts.length) throw new ConfigError(recordPath, conflicts.map((c) => ({ path: c.split(" ")[0]!, message: `differs from the run being resumed: ${c}` })));
  } else if (existsSync(path.join(runDir, "checkpoint_latest.json"))) {
    throw new ConfigError(runDir, [{ path: "", message: "this run directory already holds a checkpoint: pass --resume to continue it, or choose another --out / fold / seed" }]);
  }

  if (cfg.training.threads !== null) setNumThreads(cfg.training.threads);
  seedEverything(cfg.seed);
  setDeterministic(cfg.training.deterministic);

  const { fold, file: splitsFile } = await foldForRun(ds, ws, cfg.split, recordedSplits);
  const aug = cfg.data.augmentation;
  if (fold.train.boxes.length > 0 && cfg.strategy.kind === "box" && aug.rotation.p > 0) {
    log("note: rotation augmentation is on; a rotated box mask is no longer an axis-aligned tight box, which the projection term assumes (set data.augmentation.rotation.p to 0 for box training)");
  }
  const cacheDir = ws.preprocessed(cfg.plan);
  const needed = [...new Set([...fold.train.labelled, ...fold.train.unlabelled, ...fold.train.boxes, ...fold.val])];
  const cache = await preprocessDataset(ds, plans, plan, cacheDir, { caseIds: needed, boxCases: fold.train.boxes });
  if (cache.written.length) log(`preprocessed ${cache.written.length} case(s) into ${cacheDir} (${cache.reused.length} reused)`);

  const total = cfg.training.epochs * cfg.training.iterationsPerEpoch;
  const env: StrategyEnv = {
    network: networkFromPlan(plan.network, plans.channels.length, plans.numClasses, cfg.network),
    numClasses: plans.numClasses,
    inChannels: plans.channels.length,
    ignoreLabel: plans.ignoreLabel,
    batchSize: plan.batchSize,
    patchSize: patchShapeDHW(plan),
    totalIterations: total,
    iterationsPerEpoch: cfg.training.iterationsPerEpoch,
    generator: (stream) => streamGenerator(cfg.seed, stream),
    data: strategyData(fold, plan, cacheDir),
  };
  const strategy = createStrategy(cfg.strategy, env);
  const optimizer = buildOptimizer(cfg.optimizer, strategy.parameters());
  const generator = streamGenerator(cfg.seed, "trainer");
  let loader: BatchLoader | null = null;
  try {
    const record: RunRecord = {
      format: "labelwise-run",
      version: 1,
      dataset: { name: datasetName(ds), path: ds.root },
      plan: { name: cfg.plan, plansSha256: canonicalHash(plans) },
      splitsFile,
      fold: cfg.split.fold,
      seed: cfg.seed,
      config: cfg,
      provenance: provenance(),
    };
    await mkdir(runDir, { recursive: true });
    if (o.resume) {
      resumeFrom = await loadCheckpoint(runDir, "latest");
      if (!resumeFrom) throw new ConfigError(runDir, [{ path: "", message: "nothing to resume: no checkpoint_latest.json (the run stopped before its first checkpoint; start it again without --resume)" }]);
      restoreCheckpoint(resumeFrom, { strategy, optimizer, generators: { trainer: generator, ...Object.fromEntries(Object.entries(strategy.generators()).map(([k, g]) => [`strategy.${k}`, g])) } });
      await truncateMetrics(path.join(runDir, "metrics.jsonl"), resumeFrom.trainer.iteration);
      log(`resuming ${runDir} from iteration ${resumeFrom.trainer.iteration}`);
    }
    await writeJsonAtomic(recordPath, record);
    const state = resumeFrom?.trainer;
    resumeFrom?.dispose();
    resumeFrom = null;

    loader = new BatchLoader({
      sampler: samplerFor(cfg, plan, plans, fold, strategy.composition),
      cacheDir,
      workers: cfg.data.workers,
      ...(cfg.data.prefetch !== null ? { prefetch: cfg.data.prefetch } : {}),
      startIndex: state?.samplerPosition ?? 0,
      caseCacheBytes: cfg.data.caseCacheMiB * 1024 * 1024,
      ...(cfg.data.workerHeapMiB !== null ? { workerHeapMiB: cfg.data.workerHeapMiB } : {}),
    });
    const valIds = fold.val.slice(0, cfg.training.validationCases ?? undefined);
    const valStore = new CaseStore(cacheDir, 256 * 1024 * 1024);
    const classNames = Object.entries(plans.labels)
      .filter(([, v]) => v > 0)
      .sort((a, b) => a[1] - b[1])
      .map(([k]) => k);
    const trainer = new Trainer({
      strategy,
      optimizer,
      schedule: buildSchedule(cfg.schedule, cfg.optimizer.lr, total),
      batches: loader,
      epochs: cfg.training.epochs,
      iterationsPerEpoch: cfg.training.iterationsPerEpoch,
      runDir,
      run: { config: cfg as unknown as JsonObject, plan: plan as unknown as JsonObject, plans: { labels: plans.labels, channels: plans.channels, numClasses: plans.numClasses, ignoreLabel: plans.ignoreLabel }, dataset: record.dataset, fold: cfg.split.fold },
      seed: cfg.seed,
      generator,
      clipGradNorm: cfg.training.clipGradNorm,
      checkpointEvery: cfg.training.checkpointEvery,
      validation: valIds.length
        ? { every: cfg.training.validateEvery, classNames, run: () => validate(valIds.map((id) => valStore.get(id)), plan.patchSize, plans.numClasses, (x) => strategy.predict(x)) }
        : null,
      ...(o.reporters ? { reporters: o.reporters } : {}),
      ...(o.signal ? { signal: o.signal } : {}),
      debug: cfg.training.debug,
    });
    const result = await trainer.run(state);
    return { ...result, runDir };
  } finally {
    resumeFrom?.dispose();
    await loader?.close();
    optimizer.dispose();
    strategy.dispose();
  }
}
