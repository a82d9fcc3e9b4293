// Pieces the semi-supervised strategies `fba` and `dual-contrast` share: the two-stream batch
// sizes, the supervised loss settings, one forward over labelled + unlabelled images, and the
// ramp-up of the unsupervised weights.
import { z } from "zod";
import { type DiceCELossOptions, consistencyWeight } from "../../losses/index.js";
import { type Tensor, cat, logSoftmax, maximum } from "../../tensor/index.js";
import type { Batch, LabelledBatch, StrategyEnv } from "../../training/index.js";
import { SupervisedConfigSchema } from "../supervised.js";

/** Samples per stream (labelled default: the plan's batch size; unlabelled default: as many as labelled). */
export const streamSizesShape = {
  /** Labelled patches per batch. @default the plan's batch size */
  labelledBatchSize: z.number().int().positive().optional(),
  /** Unlabelled patches per batch; 0 trains on labelled patches only. @default labelledBatchSize */
  unlabelledBatchSize: z.number().int().nonnegative().optional(),
};

/** The supervised Dice + CE settings, the same object as the supervised strategy's `loss`. */
export const SupervisedLossSchema = SupervisedConfigSchema.shape.loss;
export type SupervisedLoss = z.infer<typeof SupervisedLossSchema>;

/** The batch composition of a two-stream strategy. */
export function twoStreamComposition(cfg: { labelledBatchSize?: number | undefined; unlabelledBatchSize?: number | undefined }, env: StrategyEnv) {
  const labelled = cfg.labelledBatchSize ?? env.batchSize;
  return { labelled, unlabelled: cfg.unlabelledBatchSize ?? labelled, boxes: 0 };
}

/** diceCELossTerms options from the `loss` settings. */
export function diceCEOptions(loss: SupervisedLoss, ignoreIndex: number | null): DiceCELossOptions {
  return {
    diceWeight: loss.diceWeight,
    ceWeight: loss.ceWeight,
    ignoreIndex,
    dice: { batchDice: loss.batchDice, includeBackground: loss.includeBackground, denominator: loss.denominator },
  };
}

/** A batch's images, labelled first, in one tensor (so one forward pass sees both streams, as the papers' networks do). */
export interface JoinedImages {
  readonly labelled: LabelledBatch;
  /** (Nl + Nu, C, D, H, W). */
  readonly image: Tensor;
  /** Nl: the first Nl rows are labelled. */
  readonly numLabelled: number;
  readonly numUnlabelled: number;
}

/**
 * Labelled and unlabelled images joined along the batch axis (created in the caller's scope).
 * @throws TypeError when the batch has no labelled stream
 */
export function joinStreams(batch: Batch, strategy: string): JoinedImages {
  const l = batch.labelled;
  if (!l) throw new TypeError(`The ${strategy} strategy needs labelled samples in every batch. Received streams: ${Object.keys(batch).filter((k) => k !== "index").join(", ") || "none"}`);
  const u = batch.unlabelled;
  const numLabelled = l.image.shape[0] as number;
  const numUnlabelled = u ? (u.image.shape[0] as number) : 0;
  return { labelled: l, image: u && numUnlabelled > 0 ? cat([l.image, u.image], 0) : l.image, numLabelled, numUnlabelled };
}

/** Rows [start, end) of a batch-first tensor. */
export const rows = (t: Tensor, start: number, end?: number): Tensor => t.slice(0, start, end ?? null);

/** Ramp-up length in iterations: the configured one, or `fraction` of the run (the paper's ratio). */
export function rampupLength(configured: number | null, env: StrategyEnv, fraction: number): number {
  return configured ?? Math.round(fraction * env.totalIterations);
}

/**
 * maxWeight · exp(−5 (1 − t/L)²) with t = ⌊iteration / s⌋, the literature's stepped sigmoid ramp-up
 * (s = 150, L = 40 in FBA-Net+ and MCF), rescaled to `rampupIterations`: s = max(1, round(R / 40))
 * and L = R / s, so R = 6000 reproduces the papers exactly and other lengths reach full weight at
 * the first step boundary at or after R.
 */
export function rampedWeight(iteration: number, maxWeight: number, rampupIterations: number): number {
  if (rampupIterations <= 0) return maxWeight;
  const per = Math.max(1, Math.round(rampupIterations / 40));
  return consistencyWeight(iteration, { maxWeight, rampupLength: rampupIterations / per, iterationsPerStep: per });
}

/**
 * log((softmax(a) + softmax(b)) / 2) computed stably: its softmax is the mean of the two softmaxes,
 * which is what inference from a checkpoint computes (src/inference averages probabilities).
 */
export function logMeanSoftmax(a: Tensor, b: Tensor): Tensor {
  const la = logSoftmax(a, 1);
  const lb = logSoftmax(b, 1);
  const m = maximum(la, lb);
  return m.add(la.sub(m).exp().add(lb.sub(m).exp()).mul(0.5).log());
}
