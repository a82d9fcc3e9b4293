// A trained model as inference uses it: a predictor (logits for a batch of windows) plus the plan
// configuration its training data was preprocessed with. Loaded once and reused for every scan.
//
// On disk a model is a state file (src/nn/state: `<name>.safetensors` + `<name>.safetensors.json`):
// either a training checkpoint (src/training: tensors `module/<name>/...`, the networks and the
// modules to predict with in its metadata, found through the run folder's checkpoint_*.json
// pointers) or a plain module state whose metadata carries `network`. The plan is in the
// metadata or in the dataset's plans.json above the run folder. README.md lists the lookup order.

import { readFile, readdir, stat } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import {
  DEFAULT_CONFIGURATION,
  PLANS_JSON,
  PlanConfigurationSchema,
  PlansSchema,
  resolvePlanConfiguration,
  type PlanConfiguration,
} from "../data/index.js";
import { SegmentationNetwork, loadModuleState, loadStateFile, sidecarPath, type NetworkConfig } from "../nn/index.js";
import type { Tensor } from "../tensor/index.js";
import type { Size3 } from "./gaussian.js";
import type { Predictor } from "./sliding-window.js";

/** A loaded model. Dispose it to free its weights. */
export interface InferenceModel extends Disposable {
  /** Where it came from (checkpoint path). */
  readonly source: string;
  /** sha256 of the checkpoint's tensor file (identifies the weights in done markers). */
  readonly sha256: string;
  /** One predictor per network the model predicts with (e.g. both subnetworks of a co-training run); their softmax outputs are averaged. */
  readonly predictors: readonly Predictor[];
  /** The module name of each predictor (same order): "network" for a plain module state file. */
  readonly moduleNames: readonly string[];
  /**
   * Per network (same order as `predictors`), one predictor per decoder: a single entry for most
   * networks, several for a multi-decoder network (FBA-Net+), whose decoders can vote separately.
   */
  readonly decoderPredictors: readonly (readonly Predictor[])[];
  /** The plan configuration the model was trained with (preprocessing, patch size; axes x, y, z). */
  readonly plan: PlanConfiguration;
  /** Voxel axes (0 = x, 1 = y, 2 = z) mirroring TTA uses: those training mirrored along. */
  readonly mirrorAxes: readonly number[];
  /** Output channels, background included. */
  readonly numClasses: number;
  readonly inChannels: number;
  /** Label name -> value, when known (plans.json or the checkpoint metadata). */
  readonly labels: Readonly<Record<string, number>> | undefined;
  dispose(): void;
}

/** Anything with a U-Net-like forward: `forward(x).logits`. */
export interface LogitsModule {
  forward(x: Tensor, opts?: { embedding?: boolean; deepSupervision?: boolean; decoder?: number }): { logits: Tensor };
}

/**
 * Wraps a network as a Predictor: logits of one decoder's mask head only (no contrastive
 * embedding, no deep supervision; the other decoders of a multi-decoder network are not run). Put
 * the network in eval mode first.
 * @param decoder which decoder's output. @default 0
 * @example const predict = networkPredictor(net.eval());
 */
export function networkPredictor(net: LogitsModule, decoder = 0): Predictor {
  return (x) => net.forward(x, { embedding: false, deepSupervision: false, decoder }).logits;
}

/** The (D, H, W) patch (tensor order) of a plan's (x, y, z) patch size. */
export function patchDHW(plan: Pick<PlanConfiguration, "patchSize">): Size3 {
  const [x, y, z] = plan.patchSize;
  return [z, y, x];
}

/** A model could not be found or loaded; `path` names what was looked at. */
export class ModelLoadError extends Error {
  override readonly name = "ModelLoadError";
  constructor(
    readonly path: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`Cannot load model ${path}: ${message}`, options);
  }
}

/** Which training checkpoint of a run folder to load. */
export type CheckpointChoice = "final" | "best" | "latest";
/** Pointer files of a run folder (src/training), in order of preference. */
export const CHECKPOINT_POINTERS: readonly CheckpointChoice[] = ["final", "best", "latest"];
/** The trainer's checkpoint kind (sidecar `kind` and metadata `format`). */
const TRAINING_CHECKPOINT = "labelwise-checkpoint";

/** Checkpoint names tried in a folder (then in its checkpoints/ sub-folder), in order of preference. */
export const CHECKPOINT_NAMES = ["checkpoint_final", "checkpoint_best", "checkpoint_latest", "final", "best", "latest", "model"].map((n) => `${n}.safetensors`);
/** Optional manifest in a model folder naming the checkpoint and plan explicitly. */
export const MODEL_MANIFEST = "model.json";
/** How many folders above the checkpoint are searched for plans.json (runs/<dataset>/<plan>/<strategy>/fold_k/checkpoints). */
export const PLAN_SEARCH_DEPTH = 5;

const ManifestSchema = z.strictObject({
  /** Checkpoint path, relative to the manifest. */
  checkpoint: z.string().min(1),
  /** plans.json path (relative), or a complete plan configuration inline. */
  plan: z.union([z.string().min(1), z.record(z.string(), z.unknown())]).optional(),
  /** Configuration of plans.json to use. @default "3d_fullres" */
  configuration: z.string().min(1).optional(),
  network: z.record(z.string(), z.unknown()).optional(),
  labels: z.record(z.string(), z.number().int().nonnegative()).optional(),
  mirrorAxes: z.array(z.union([z.literal(0), z.literal(1), z.literal(2)])).optional(),
});

function issuesText(issues: readonly { path: readonly PropertyKey[]; message: string }[]): string {
  return issues.map((i) => `${i.path.map(String).join(".") || "(root)"}: ${i.message}`).join("; ");
}

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}

async function readJson(p: string, source: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(p, "utf8");
  } catch (e) {
    throw new ModelLoadError(source, `cannot read ${p} (${(e as { code?: string }).code ?? (e as Error).message})`, { cause: e });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new ModelLoadError(source, `${p} is not valid JSON (${(e as Error).message})`, { cause: e });
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** One network to build and where its weights are in the state file. */
interface ModuleSpec {
  name: string;
  network: NetworkConfig;
  /** Tensor name prefix in the state file ("module/<name>/" in training checkpoints, "" in a module state file). */
  prefix: string;
}

/** What the loader resolved before building anything. */
interface Resolved {
  checkpoint: string;
  /** sha256 the run's pointer records for the checkpoint, when it came through one. */
  expectedSha256: string | undefined;
  modules: ModuleSpec[];
  plan: PlanConfiguration;
  labels: Record<string, number> | undefined;
  numClasses: number | undefined;
  mirrorAxes: number[];
}

/** The checkpoint a run folder's pointer file names (src/training's checkpoint_<kind>.json), or undefined. */
async function fromPointer(dir: string, kinds: readonly CheckpointChoice[], source: string): Promise<{ file: string; sha256: string } | undefined> {
  for (const kind of kinds) {
    const p = path.join(dir, `checkpoint_${kind}.json`);
    if (!(await exists(p))) continue;
    const v = await readJson(p, source);
    const file = isRecord(v) && typeof v.file === "string" ? v.file : undefined;
    if (!isRecord(v) || v.format !== "labelwise-checkpoint-pointer" || !file || path.isAbsolute(file) || file.split(/[\\/]/).includes("..") || typeof v.sha256 !== "string") {
      throw new ModelLoadError(source, `${p} is not a labelwise checkpoint pointer`);
    }
    return { file: path.join(dir, file), sha256: v.sha256 };
  }
  return undefined;
}

async function findCheckpoint(dir: string, source: string): Promise<string> {
  for (const sub of [dir, path.join(dir, "checkpoints")]) {
    for (const name of CHECKPOINT_NAMES) {
      const p = path.join(sub, name);
      if (await exists(p)) return p;
    }
  }
  // A single state file at the top is unambiguous.
  const files = (await readdir(dir).catch(() => [] as string[])).filter((f) => f.endsWith(".safetensors"));
  if (files.length === 1) return path.join(dir, files[0]!);
  throw new ModelLoadError(
    source,
    `no checkpoint found (looked for ${MODEL_MANIFEST}, checkpoint_{${CHECKPOINT_POINTERS.join(",")}}.json, then ${CHECKPOINT_NAMES.join(", ")} in the folder and in checkpoints/` +
      `${files.length > 1 ? `; several .safetensors files are there (${files.join(", ")}): name one with -m <file>` : ""})`,
  );
}

/** plans.json in the checkpoint's folder or up to PLAN_SEARCH_DEPTH folders above it. */
async function findPlans(from: string): Promise<string | undefined> {
  let dir = path.resolve(from);
  for (let i = 0; i <= PLAN_SEARCH_DEPTH; i++) {
    const p = path.join(dir, PLANS_JSON);
    if (await exists(p)) return p;
    const up = path.dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return undefined;
}

/** A plan configuration from a plans.json file (resolving `extends`). */
async function planFromPlansFile(file: string, configuration: string, source: string): Promise<{ plan: PlanConfiguration; labels: Record<string, number>; numClasses: number }> {
  const r = PlansSchema.safeParse(await readJson(file, source));
  if (!r.success) throw new ModelLoadError(source, `invalid ${file}: ${issuesText(r.error.issues)}`);
  try {
    return { plan: resolvePlanConfiguration(r.data, configuration), labels: r.data.labels, numClasses: r.data.numClasses };
  } catch (e) {
    throw new ModelLoadError(source, `${file}: ${(e as Error).message}`, { cause: e });
  }
}

/** Options of {@link loadInferenceModel}. */
export interface LoadModelOptions {
  /** Which checkpoint of a training run folder. @default the first of final, best, latest that exists */
  readonly checkpoint?: CheckpointChoice;
  /**
   * Which networks of a training checkpoint to load: the ones it predicts with (`strategy.predictWith`),
   * or every module with a network configuration (`strategy.networks`: e.g. a teacher and its student,
   * for measuring how much they disagree). @default "predictWith"
   */
  readonly modules?: "predictWith" | "networks";
}

async function resolveModel(source: string, opts: LoadModelOptions): Promise<Resolved> {
  let st;
  try {
    st = await stat(source);
  } catch (e) {
    throw new ModelLoadError(source, "no such file or folder", { cause: e });
  }
  let checkpoint: string;
  let expectedSha256: string | undefined;
  let manifest: z.infer<typeof ManifestSchema> | undefined;
  if (st.isDirectory()) {
    const mf = path.join(source, MODEL_MANIFEST);
    const pointer = await fromPointer(source, opts.checkpoint ? [opts.checkpoint] : CHECKPOINT_POINTERS, source);
    if (await exists(mf)) {
      const r = ManifestSchema.safeParse(await readJson(mf, source));
      if (!r.success) throw new ModelLoadError(source, `invalid ${MODEL_MANIFEST}: ${issuesText(r.error.issues)}`);
      manifest = r.data;
      checkpoint = path.resolve(source, manifest.checkpoint);
    } else if (pointer) {
      checkpoint = pointer.file;
      expectedSha256 = pointer.sha256;
    } else if (opts.checkpoint) {
      throw new ModelLoadError(source, `the run has no checkpoint_${opts.checkpoint}.json`);
    } else checkpoint = await findCheckpoint(source, source);
  } else checkpoint = source;

  const sidecar = await readJson(sidecarPath(checkpoint), source);
  const meta = isRecord(sidecar) && isRecord(sidecar.meta) ? sidecar.meta : {};
  const run = isRecord(meta.run) ? meta.run : {};
  const cfg = isRecord(meta.config) ? meta.config : isRecord(run.config) ? run.config : {};
  let modules: ModuleSpec[];
  if (meta.format === TRAINING_CHECKPOINT) {
    const strategy = isRecord(meta.strategy) ? meta.strategy : {};
    const networks = isRecord(strategy.networks) ? strategy.networks : {};
    const names =
      opts.modules === "networks"
        ? Object.keys(networks).filter((n) => isRecord(networks[n]))
        : Array.isArray(strategy.predictWith)
          ? strategy.predictWith.filter((n): n is string => typeof n === "string")
          : [];
    if (names.length === 0) {
      throw new ModelLoadError(source, `the training checkpoint ${checkpoint} names no module to predict with (strategy.${opts.modules === "networks" ? "networks" : "predictWith"})`);
    }
    modules = names.map((name) => {
      const network = networks[name];
      if (!isRecord(network)) throw new ModelLoadError(source, `the training checkpoint has no network configuration for module "${name}"`);
      return { name, network: network as NetworkConfig, prefix: `module/${name}/` };
    });
  } else {
    const network = manifest?.network ?? (isRecord(meta.network) ? meta.network : isRecord(cfg.network) ? cfg.network : undefined);
    if (!network) throw new ModelLoadError(source, `the checkpoint metadata (${sidecarPath(checkpoint)}) has no "network" configuration`);
    modules = [{ name: "network", network: network as NetworkConfig, prefix: "" }];
  }
  const named = (v: unknown): string | undefined => (typeof v === "string" && v.length > 0 ? v : undefined);
  const configuration = manifest?.configuration ?? named(meta.configuration) ?? named(run.configuration) ?? named(cfg.plan) ?? DEFAULT_CONFIGURATION;

  let plan: PlanConfiguration;
  let labels: Record<string, number> | undefined;
  let numClasses: number | undefined;
  const inline = isRecord(manifest?.plan) ? manifest.plan : isRecord(meta.plan) ? meta.plan : isRecord(run.plan) ? run.plan : undefined;
  if (inline) {
    const r = PlanConfigurationSchema.safeParse(inline);
    if (!r.success) throw new ModelLoadError(source, `invalid plan configuration in the checkpoint metadata or ${MODEL_MANIFEST}: ${issuesText(r.error.issues)}`);
    plan = r.data;
  } else {
    const file = typeof manifest?.plan === "string" ? path.resolve(source, manifest.plan) : await findPlans(path.dirname(checkpoint));
    if (!file) throw new ModelLoadError(source, `no plan found (checkpoint meta.plan, or ${PLANS_JSON} beside the checkpoint or up to ${PLAN_SEARCH_DEPTH} folders above it)`);
    ({ plan, labels, numClasses } = await planFromPlansFile(file, configuration, source));
  }
  // The trainer records plans.json's labels and class count in the run metadata (meta.run.plans).
  const runPlans = isRecord(run.plans) ? run.plans : {};
  const labelsValue = manifest?.labels ?? meta.labels ?? run.labels ?? runPlans.labels;
  if (isRecord(labelsValue) && Object.values(labelsValue).every((v) => Number.isInteger(v))) labels = labelsValue as Record<string, number>;
  if (numClasses === undefined && Number.isInteger(runPlans.numClasses)) numClasses = runPlans.numClasses as number;
  const mirror: unknown[] = manifest?.mirrorAxes ?? (Array.isArray(meta.mirrorAxes) ? meta.mirrorAxes : [0, 1, 2]);
  return { checkpoint, expectedSha256, modules, plan, labels, numClasses, mirrorAxes: mirror.filter((a): a is number => a === 0 || a === 1 || a === 2) };
}

/** Tensors under a prefix, keys without it. */
function section(tensors: ReadonlyMap<string, Tensor>, prefix: string): Map<string, Tensor> {
  const out = new Map<string, Tensor>();
  for (const [k, t] of tensors) if (k.startsWith(prefix)) out.set(k.slice(prefix.length), t);
  return out;
}

/**
 * Loads a model for inference: the network rebuilt from the checkpoint's configuration, its
 * weights (checksums verified), eval mode, and its plan.
 * @param source a checkpoint (`.safetensors` with its `.json` sidecar) or a run/model folder
 * @param opts which checkpoint of a training run
 * @throws ModelLoadError naming what is missing; StateFileError for a damaged checkpoint
 * @example
 * using model = await loadInferenceModel("runs/hippocampus/3d_fullres/supervised/fold_0");
 */
export async function loadInferenceModel(source: string, opts: LoadModelOptions = {}): Promise<InferenceModel> {
  const r = await resolveModel(source, opts);
  const nets: SegmentationNetwork[] = [];
  const disposeAll = (): void => nets.forEach((n) => n.dispose());
  try {
    for (const m of r.modules) {
      try {
        nets.push(new SegmentationNetwork(m.network));
      } catch (e) {
        throw new ModelLoadError(source, `invalid network configuration for "${m.name}": ${(e as Error).message}`, { cause: e });
      }
    }
    let sha256: string;
    if (r.modules.length === 1 && r.modules[0]!.prefix === "") {
      sha256 = (await loadModuleState(r.checkpoint, nets[0]!)).info.sha256;
    } else {
      const loaded = await loadStateFile(r.checkpoint, { kind: TRAINING_CHECKPOINT });
      try {
        r.modules.forEach((m, i) => nets[i]!.loadStateDict(section(loaded.tensors, m.prefix), { strict: true }));
      } finally {
        for (const t of loaded.tensors.values()) t.dispose();
      }
      sha256 = loaded.info.sha256;
    }
    if (r.expectedSha256 !== undefined && r.expectedSha256 !== sha256) {
      throw new ModelLoadError(source, `the run's pointer records sha256 ${r.expectedSha256} for ${r.checkpoint}, the file has ${sha256}`);
    }
    for (const n of nets) n.eval();
    const first = nets[0]!.config;
    for (const [i, n] of nets.entries()) {
      if (n.config.numClasses !== first.numClasses || n.config.inChannels !== first.inChannels) {
        throw new ModelLoadError(source, `module "${r.modules[i]!.name}" predicts ${n.config.numClasses} classes from ${n.config.inChannels} channel(s), module "${r.modules[0]!.name}" ${first.numClasses} from ${first.inChannels}`);
      }
    }
    const channels = r.plan.normalization.length;
    if (channels !== first.inChannels) throw new ModelLoadError(source, `the plan normalises ${channels} channel(s) but the network takes ${first.inChannels}`);
    if (r.numClasses !== undefined && r.numClasses !== first.numClasses) {
      throw new ModelLoadError(source, `plans.json says ${r.numClasses} classes but the network predicts ${first.numClasses}`);
    }
    return {
      source: r.checkpoint,
      sha256,
      predictors: nets.map((n) => networkPredictor(n)),
      moduleNames: r.modules.map((m) => m.name),
      decoderPredictors: nets.map((n) => n.config.decoders.map((_, k) => networkPredictor(n, k))),
      plan: r.plan,
      mirrorAxes: r.mirrorAxes,
      numClasses: first.numClasses,
      inChannels: first.inChannels,
      labels: r.labels,
      dispose: disposeAll,
      [Symbol.dispose]: disposeAll,
    };
  } catch (e) {
    disposeAll();
    throw e;
  }
}
