// The experiment config: everything a training run needs besides the dataset and its plans.
// Strict zod objects at every level (a misspelt key is an error, not silently ignored), defaults
// filled in, and the resolved result written to the run directory's config.json. Pluggable parts
// (strategy, optimizer, schedule) are discriminated unions on `kind`.
import { z } from "zod";
import { AugmentationSchema } from "../data/index.js";
import { StrategyConfigSchema } from "./registry.js";

const positiveInt = z.number().int().positive();

/** Optimizers. */
export const OptimizerConfigSchema = z.discriminatedUnion("kind", [
  z.strictObject({
    kind: z.literal("sgd"),
    lr: z.number().positive().default(0.01),
    momentum: z.number().min(0).max(1).default(0.99),
    nesterov: z.boolean().default(true),
    weightDecay: z.number().nonnegative().default(3e-5),
  }),
  z.strictObject({
    kind: z.literal("adam"),
    lr: z.number().positive().default(1e-3),
    betas: z.tuple([z.number().min(0).max(1), z.number().min(0).max(1)]).default([0.9, 0.999]),
    weightDecay: z.number().nonnegative().default(0),
  }),
  z.strictObject({
    kind: z.literal("adamw"),
    lr: z.number().positive().default(1e-3),
    betas: z.tuple([z.number().min(0).max(1), z.number().min(0).max(1)]).default([0.9, 0.999]),
    weightDecay: z.number().nonnegative().default(0.01),
  }),
]);

/** Learning-rate schedules over iterations (with an optional linear warm-up). */
export const ScheduleConfigSchema = z.discriminatedUnion("kind", [
  z.strictObject({ kind: z.literal("poly"), exponent: z.number().positive().default(0.9), warmupIterations: z.number().int().nonnegative().default(0) }),
  z.strictObject({ kind: z.literal("cosine"), minLr: z.number().nonnegative().default(0), warmupIterations: z.number().int().nonnegative().default(0) }),
  z.strictObject({ kind: z.literal("constant"), warmupIterations: z.number().int().nonnegative().default(0) }),
]);

/** Network settings layered over the plan's topology. */
export const NetworkOverridesSchema = z.strictObject({
  baseFilters: positiveInt.optional(),
  maxFilters: positiveInt.optional(),
  norm: z.enum(["instance", "batch", "group", "none"]).optional(),
  dropout: z.number().min(0).max(1).optional(),
  /** Per-voxel embedding head (for contrastive strategies): its dimension, or false. */
  contrastiveHead: z.union([z.literal(false), z.strictObject({ dim: positiveInt.default(16) })]).optional(),
  /** Decoders sharing the encoder (several for multi-decoder strategies). */
  decoders: z.array(z.strictObject({ upsample: z.enum(["transposed", "trilinear", "nearest"]).optional() })).min(1).optional(),
});

/** zod schema of an experiment config file (JSON). */
export const ExperimentConfigSchema = z.strictObject({
  /** Plan configuration name in plans.json. */
  plan: z.string().min(1).default("3d_fullres"),
  /** The run's seed (weights, batches, augmentations, dropout). */
  seed: z.number().int().min(0).max(0xffffffff).default(12345),
  strategy: StrategyConfigSchema.prefault({ kind: "supervised" }),
  network: NetworkOverridesSchema.prefault({}),
  optimizer: OptimizerConfigSchema.prefault({ kind: "sgd" }),
  schedule: ScheduleConfigSchema.prefault({ kind: "poly" }),
  training: z
    .strictObject({
      epochs: positiveInt.default(100),
      iterationsPerEpoch: positiveInt.default(250),
      /** Global gradient-norm clip; null disables it. */
      clipGradNorm: z.number().positive().nullable().default(12),
      /** Extra checkpoints every this many iterations (every epoch end always). */
      checkpointEvery: positiveInt.nullable().default(null),
      /** Validate every this many epochs. */
      validateEvery: positiveInt.default(1),
      /** At most this many validation cases (null: all of the fold's). */
      validationCases: positiveInt.nullable().default(null),
      /** libtorch intra-op threads (null: its default). */
      threads: positiveInt.nullable().default(null),
      /** Ask libtorch for deterministic kernels. */
      deterministic: z.boolean().default(false),
      /** Assert after every step that no tensor leaked. */
      debug: z.boolean().default(false),
    })
    .prefault({}),
  data: z
    .strictObject({
      /** Batch-building worker threads (0: on the main thread). */
      workers: z.number().int().nonnegative().default(2),
      /** Batches prepared ahead (null: 2 × workers). */
      prefetch: positiveInt.nullable().default(null),
      foregroundOversampling: z.number().min(0).max(1).default(0.33),
      /** Preprocessed cases kept in memory per worker. */
      caseCacheMiB: positiveInt.default(512),
      /** V8 heap limit per worker (null: Node's default). */
      workerHeapMiB: positiveInt.nullable().default(null),
      augmentation: AugmentationSchema.prefault({}),
    })
    .prefault({}),
  split: z
    .strictObject({
      folds: positiveInt.default(5),
      fold: z.number().int().nonnegative().default(0),
      seed: z.number().int().min(0).max(0xffffffff).default(12345),
      /** Labelled subset of each fold's training cases (the rest become unlabelled): a fraction, a count, or the case ids. */
      labelled: z
        .union([
          z.strictObject({ fraction: z.number().min(0).max(1) }),
          z.strictObject({ count: z.number().int().nonnegative() }),
          z.strictObject({ cases: z.array(z.string().min(1)).min(1) }),
        ])
        .optional(),
      selection: z.enum(["random", "first"]).default("random"),
      /**
       * Of the labelled cases `labelled` leaves out, this share becomes box-annotated instead of
       * unlabelled (their boxes/<case>.json must exist): mixed supervision from a labelled dataset.
       */
      boxes: z.union([z.strictObject({ fraction: z.number().min(0).max(1) }), z.strictObject({ count: z.number().int().nonnegative() })]).optional(),
      /** A splits.json to use instead of generating one. */
      file: z.string().min(1).optional(),
    })
    .prefault({})
    .refine((s) => s.folds === 1 ? s.fold === 0 : s.fold < s.folds, { message: "fold must be below folds", path: ["fold"] }),
});

/** A resolved experiment config (every default filled in). */
export type ExperimentConfig = z.infer<typeof ExperimentConfigSchema>;
