// The Strategy contract: the Trainer owns the loop (batches, scopes, optimizer, schedule,
// validation, checkpoints, resume) and a strategy supplies the models and one training step.
// Supervised, semi-supervised and box-supervised training are all strategies; none copies the loop.
import type { BatchComposition, PreprocessedCase, Rng } from "../data/index.js";
import type { JsonObject, Module, NetworkConfig } from "../nn/index.js";
import type { Generator, Tensor } from "../tensor/index.js";
import type { Volume } from "../volume/index.js";
import type { Batch } from "./batch.js";

/** What a training step may know about where it is. */
export interface StepContext {
  /** Optimizer steps done before this one (0-based, global). */
  readonly iteration: number;
  readonly epoch: number;
  readonly iterationInEpoch: number;
  readonly iterationsPerEpoch: number;
  readonly totalIterations: number;
  /** Learning rate of this step (already set on the optimizer). */
  readonly lr: number;
  /**
   * The trainer's generator for random tensors in the step (noise, masks). Its state is saved in
   * checkpoints, so a resumed run draws the same numbers.
   */
  readonly generator: Generator;
  /** A JS generator for this step only, seeded from (run seed, iteration): nothing to save. */
  readonly rng: Rng;
}

/** What a step returns: the loss to minimise and scalars to log. */
export interface StepOutput {
  /** Scalar loss; the trainer calls backward() on it. */
  readonly loss: Tensor;
  /** Named scalars for progress and metrics.jsonl (tensors are read with item()). */
  readonly logs?: Readonly<Record<string, Tensor | number>>;
}

/** A strategy's extra state beyond its modules (e.g. a memory bank), for checkpoints. */
export interface StrategyState {
  /** Tensors the strategy owns (borrowed when saving; loadState must copy them). */
  readonly tensors: ReadonlyMap<string, Tensor>;
  readonly json: JsonObject;
}

/** How a checkpoint's models are rebuilt for prediction (written into every checkpoint). */
export interface StrategyDescription {
  /** Resolved network config per module name (JSON). */
  readonly networks: Readonly<Record<string, JsonObject>>;
  /** Modules whose softmax outputs are averaged at inference (e.g. ["student"], or both subnetworks). */
  readonly predictWith: readonly string[];
}

/**
 * A training strategy. Every method runs synchronously; trainStep runs inside a scope, so every
 * tensor it creates is freed when it returns, except what it returns (the trainer frees those too).
 */
export interface Strategy extends Disposable {
  /** The config kind, e.g. "supervised". */
  readonly name: string;
  /** Samples per stream in each batch (the trainer builds the loader from it). */
  readonly composition: BatchComposition;
  /** Every module whose state belongs in checkpoints (students, teachers, heads). */
  modules(): Readonly<Record<string, Module>>;
  /** The parameters the optimizer updates (e.g. not an EMA teacher's). */
  parameters(): Tensor[];
  /** Generators the strategy draws from (e.g. dropout), saved and restored with checkpoints. */
  generators(): Readonly<Record<string, Generator>>;
  /** One step's loss; modules are in training mode. */
  trainStep(batch: Batch, ctx: StepContext): StepOutput;
  /** After the optimizer updated the parameters (e.g. an EMA teacher update); runs in a scope under noGrad. */
  afterOptimizerStep?(ctx: StepContext): void;
  /** Segmentation logits (N, numClasses, D, H, W) for validation; called in eval mode under noGrad. */
  predict(image: Tensor): Tensor;
  /** Extra state for checkpoints. */
  state?(): StrategyState;
  /** Restores extra state (copy the tensors: the caller frees them afterwards). */
  loadState?(s: StrategyState): void;
  describe(): StrategyDescription;
  /** Frees modules and owned tensors. */
  dispose(): void;
}

/** What a strategy factory receives besides its own typed config. */
export interface StrategyEnv {
  /** The plan's network (topology, classes, input channels); strategies may derive variants. */
  readonly network: NetworkConfig;
  readonly numClasses: number;
  readonly inChannels: number;
  /** The dataset's ignore label value, or null. */
  readonly ignoreLabel: number | null;
  /** The plan's batch size (default per-stream sample count). */
  readonly batchSize: number;
  /**
   * The training patch as a tensor's spatial shape (D, H, W). Strategies whose modules are sized by
   * the patch (FBA-Net's contrastive head) need it; optional so older callers still compile.
   */
  readonly patchSize?: readonly [number, number, number];
  readonly totalIterations: number;
  readonly iterationsPerEpoch: number;
  /** A generator for a named stream of the run seed (e.g. "init", "dropout"). */
  generator(stream: string): Generator;
  /**
   * Read access to the run's training data, for strategies that derive something from it when they
   * are built (the box strategy's shape templates). Absent when a strategy is built without a
   * dataset (unit tests); strategies must then fall back or fail with a clear message.
   */
  readonly data?: StrategyData;
}

/** The run's training data as a strategy may read it at construction (synchronously). */
export interface StrategyData {
  /** The fold's training case ids per stream (splits.json `train`). */
  readonly cases: { readonly labelled: readonly string[]; readonly unlabelled: readonly string[]; readonly boxes: readonly string[] };
  /** Voxel size (x, y, z) in mm of the plan's grid, i.e. of the patches before augmentation. */
  readonly spacing: readonly [number, number, number];
  /** A training case of the fold on the plan's grid (from the preprocessing cache). */
  case(id: string): PreprocessedCase;
  /** A label map file (NIfTI), reoriented to RAS as preprocessing does, not resampled; relative paths from the working directory. */
  readLabelMap(file: string): Volume;
}

/** What the trainer needs of an optimizer (every src/nn optimizer fits). */
export interface OptimizerLike {
  /** Set by the trainer from the schedule before each step. */
  lr: number;
  step(): void;
  zeroGrad(): void;
  /** Borrowed tensors plus JSON-able settings, for checkpoints. */
  stateDict(): { tensors: ReadonlyMap<string, Tensor>; meta: Record<string, unknown> };
  loadStateDict(state: { tensors: Map<string, Tensor>; meta: Record<string, unknown> }): void;
  dispose(): void;
}

/** Builds a strategy from its validated config. */
export type StrategyFactory<C> = (config: C, env: StrategyEnv) => Strategy;
