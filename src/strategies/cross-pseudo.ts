// Cross pseudo supervision: two networks of the same architecture but different initial weights
// each learn Dice + CE from the labelled patches and, on unlabelled patches, cross-entropy towards
// the other network's hard (argmax) prediction, computed without gradient. Prediction averages
// both networks' softmax. Recipe: ../shared/design/methods.md section D; defaults and where we
// differ from the published code: README.md.
import { z } from "zod";
import { crossPseudoSupervisionLoss, diceCELossTerms } from "../losses/index.js";
import { type JsonObject, type NetworkConfig, SegmentationNetwork } from "../nn/index.js";
import type { Tensor } from "../tensor/index.js";
import type { Batch, StepContext, StepOutput, Strategy, StrategyEnv } from "../training/index.js";
import { SupervisedLossSchema, diceCEOptions, joinStreams, logMeanSoftmax, rampedWeight, rampupLength, rows, streamSizesShape, twoStreamComposition } from "./_internal/semi-common.js";
import { logitsOf } from "./_internal/student-teacher.js";

/** zod schema of `strategy` when `kind` is "cross-pseudo" (strict: unknown keys are errors). */
export const CrossPseudoConfigSchema = z.strictObject({
  kind: z.literal("cross-pseudo"),
  ...streamSizesShape,
  /** Dice + CE on the labelled patches, for each network (the supervised strategy's settings). */
  loss: SupervisedLossSchema,
  cps: z
    .strictObject({
      /** Weight of CE(A, argmax B) + CE(B, argmax A) once ramped up. */
      weight: z.number().nonnegative().default(0.1),
      /** Iterations of the sigmoid ramp-up; null: the whole run (SSL4MIS: 200 × 150 iterations of a 30,000-iteration run). */
      rampupIterations: z.number().int().nonnegative().nullable().default(null),
      /** Patches the cross supervision covers: the unlabelled ones (SSL4MIS) or every patch (the CPS paper). */
      on: z.enum(["unlabelled", "all"]).default("unlabelled"),
    })
    .prefault({}),
});
export type CrossPseudoConfig = z.infer<typeof CrossPseudoConfigSchema>;


/** Cross pseudo supervision between two networks. */
export class CrossPseudoStrategy implements Strategy {
  readonly name = "cross-pseudo";
  readonly composition;
  readonly netA: SegmentationNetwork;
  readonly netB: SegmentationNetwork;
  readonly #cfg: CrossPseudoConfig;
  readonly #ignore: number | null;
  readonly #rampup: number;
  readonly #dropoutA;
  readonly #dropoutB;

  constructor(cfg: CrossPseudoConfig, env: StrategyEnv) {
    this.#cfg = cfg;
    this.#ignore = env.ignoreLabel;
    this.composition = twoStreamComposition(cfg, env);
    this.#rampup = rampupLength(cfg.cps.rampupIterations, env, 1);
    const net: NetworkConfig = { ...env.network, deepSupervision: false };
    this.#dropoutA = env.generator("dropout-a");
    this.#dropoutB = env.generator("dropout-b");
    // Separate generators: the two networks start from different weights, which is what makes
    // their pseudo-labels disagree and teach each other.
    this.netA = new SegmentationNetwork(net, { generator: env.generator("init-a"), dropoutGenerator: this.#dropoutA });
    try {
      this.netB = new SegmentationNetwork(net, { generator: env.generator("init-b"), dropoutGenerator: this.#dropoutB });
    } catch (e) {
      this.netA.dispose();
      throw e;
    }
  }

  modules() {
    return { netA: this.netA, netB: this.netB };
  }

  parameters(): Tensor[] {
    return [...this.netA.parameters(), ...this.netB.parameters()];
  }

  generators() {
    return { dropoutA: this.#dropoutA, dropoutB: this.#dropoutB };
  }

  /** The cross-supervision weight at `iteration` (sigmoid ramp-up). */
  cpsWeight(iteration: number): number {
    return rampedWeight(iteration, this.#cfg.cps.weight, this.#rampup);
  }

  trainStep(batch: Batch, ctx: StepContext): StepOutput {
    const j = joinStreams(batch, "cross-pseudo");
    const a = logitsOf(this.netA, j.image);
    const b = logitsOf(this.netB, j.image);
    const opts = diceCEOptions(this.#cfg.loss, this.#ignore);
    const supA = diceCELossTerms(rows(a, 0, j.numLabelled), j.labelled.label, opts);
    const supB = diceCELossTerms(rows(b, 0, j.numLabelled), j.labelled.label, opts);
    const supervised = supA.loss.add(supB.loss);
    const weight = this.cpsWeight(ctx.iteration);
    const logs = { diceLossA: supA.dice, ceLossA: supA.crossEntropy, diceLossB: supB.dice, ceLossB: supB.crossEntropy, cpsWeight: weight };
    const from = this.#cfg.cps.on === "all" ? 0 : j.numLabelled;
    if (from >= j.numLabelled + j.numUnlabelled) return { loss: supervised, logs };
    const cps = crossPseudoSupervisionLoss(rows(a, from), rows(b, from));
    return { loss: supervised.add(cps.loss.mul(weight)), logs: { ...logs, cpsA: cps.a, cpsB: cps.b } };
  }

  /** log of the mean of both networks' softmax (its softmax is their average). */
  predict(image: Tensor): Tensor {
    return logMeanSoftmax(logitsOf(this.netA, image), logitsOf(this.netB, image));
  }

  describe() {
    return { networks: { netA: this.netA.config as unknown as JsonObject, netB: this.netB.config as unknown as JsonObject }, predictWith: ["netA", "netB"] };
  }

  dispose(): void {
    this.netA.dispose();
    this.netB.dispose();
  }

  [Symbol.dispose](): void {
    this.dispose();
  }
}

/** The factory the experiment registry uses. */
export function createCrossPseudoStrategy(cfg: CrossPseudoConfig, env: StrategyEnv): Strategy {
  return new CrossPseudoStrategy(cfg, env);
}
