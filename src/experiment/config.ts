// Loading an experiment config: a JSON file (optional) plus command-line overrides, validated
// once at the boundary. Every problem is reported together as a ConfigError with its path.
import { readFile } from "node:fs/promises";
import { ConfigError, parseJsonText, parseWith } from "../data/index.js";
import { type ExperimentConfig, ExperimentConfigSchema } from "./schema.js";

/** Command-line values that override the config file. */
export interface ConfigOverrides {
  strategy?: string;
  fold?: number;
  folds?: number;
  epochs?: number;
  seed?: number;
  threads?: number;
  workers?: number;
  iterationsPerEpoch?: number;
  plan?: string;
  debug?: boolean;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === "object" && !Array.isArray(v);

function section(root: Obj, key: string, source: string): Obj {
  const v = root[key];
  if (v === undefined) return (root[key] = {});
  if (!isObj(v)) throw new ConfigError(source, [{ path: key, message: "must be an object" }]);
  return v;
}

/** Applies overrides to a parsed (not yet validated) config object. */
export function applyOverrides(raw: unknown, o: ConfigOverrides, source = "config"): Obj {
  if (raw !== undefined && !isObj(raw)) throw new ConfigError(source, [{ path: "", message: "must be a JSON object" }]);
  const cfg: Obj = structuredClone((raw as Obj | undefined) ?? {});
  if (o.strategy !== undefined) {
    const s = cfg.strategy;
    // Keep the file's strategy settings only when they are for the same kind.
    if (!(isObj(s) && s.kind === o.strategy)) cfg.strategy = { kind: o.strategy };
  }
  if (o.plan !== undefined) cfg.plan = o.plan;
  if (o.seed !== undefined) cfg.seed = o.seed;
  if (o.fold !== undefined) section(cfg, "split", source).fold = o.fold;
  if (o.folds !== undefined) section(cfg, "split", source).folds = o.folds;
  if (o.epochs !== undefined) section(cfg, "training", source).epochs = o.epochs;
  if (o.iterationsPerEpoch !== undefined) section(cfg, "training", source).iterationsPerEpoch = o.iterationsPerEpoch;
  if (o.threads !== undefined) section(cfg, "training", source).threads = o.threads;
  if (o.workers !== undefined) section(cfg, "data", source).workers = o.workers;
  if (o.debug !== undefined) section(cfg, "training", source).debug = o.debug;
  return cfg;
}

/**
 * Validates a config object (defaults filled in).
 * @throws ConfigError listing every issue with its path, e.g. `training.epohcs: Unrecognized key`
 */
export function parseExperimentConfig(value: unknown, source = "config"): ExperimentConfig {
  return parseWith(ExperimentConfigSchema, value, source);
}

/**
 * Reads a config file (or none) and applies command-line overrides.
 * @example const cfg = await loadExperimentConfig("exp.json", { fold: 1, epochs: 50 });
 */
export async function loadExperimentConfig(file: string | undefined, overrides: ConfigOverrides = {}): Promise<ExperimentConfig> {
  const source = file ?? "command line";
  const raw = file === undefined ? {} : parseJsonText(await readFile(file, "utf8"), file);
  return parseExperimentConfig(applyOverrides(raw, overrides, source), source);
}

/**
 * Differences between a saved run config and the requested one that would change results (paths
 * such as "optimizer.lr"). Settings that do not change the numbers — epochs (extending a run),
 * workers, prefetch, threads, debug — may differ on resume.
 */
export function resumeConflicts(saved: ExperimentConfig, requested: ExperimentConfig): string[] {
  const free = new Set(["training.epochs", "training.threads", "training.debug", "data.workers", "data.prefetch", "data.caseCacheMiB", "data.workerHeapMiB", "training.validationCases", "training.validateEvery", "training.checkpointEvery"]);
  const out: string[] = [];
  const walk = (a: unknown, b: unknown, p: string) => {
    if (free.has(p)) return;
    if (isObj(a) && isObj(b)) {
      for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) walk(a[k], b[k], p ? `${p}.${k}` : k);
    } else if (JSON.stringify(a) !== JSON.stringify(b)) out.push(`${p} (run: ${JSON.stringify(a)}, requested: ${JSON.stringify(b)})`);
  };
  walk(saved, requested, "");
  return out;
}
