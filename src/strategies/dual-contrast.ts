// Two heterogeneous subnetworks trained together (Karimijafarbigloo et al., ISBI 2024, after MCF):
// A is the plan's network, B the same decoder on a ResNet-style encoder. Labelled patches: Dice +
// CE for both, and a verification term where exactly one of them is confidently foreground. The
// net with the lower Dice loss wins the iteration. Unlabelled patches: both learn from the union of
// their argmaxes on low-entropy (reliable) voxels, and the loser's features get a prototype
// contrastive term (unreliable voxels pulled to the prototype of the winner's class, prototypes
// pushed apart) — with gradient, unlike the published code. Inference averages both softmaxes.
// Recipe: ../shared/design/methods.md section C; our choices: README.md.
import { z } from "zod";
import {
  diceCELossTerms,
  hardPseudoLabels,
  prototypeContrastiveLoss,
  reliableCrossEntropy,
  selectWinner,
  unionPseudoLabels,
  verificationLoss,
} from "../losses/index.js";
import { type JsonObject, type NetworkConfig, SegmentationNetwork, resolveNetworkConfig } from "../nn/index.js";
import { type Tensor, tidy } from "../tensor/index.js";
import type { Batch, StepContext, StepOutput, Strategy, StrategyEnv } from "../training/index.js";
import { SupervisedLossSchema, diceCEOptions, joinStreams, logMeanSoftmax, rampedWeight, rampupLength, rows, streamSizesShape, twoStreamComposition } from "./_internal/semi-common.js";
import { logitsOf } from "./_internal/student-teacher.js";

/** zod schema of `strategy` when `kind` is "dual-contrast" (strict: unknown keys are errors). */
export const DualContrastConfigSchema = z.strictObject({
  kind: z.literal("dual-contrast"),
  ...streamSizesShape,
  /** Dice + CE on the labelled patches, for each subnetwork. */
  loss: SupervisedLossSchema,
  /** How subnetwork B differs from A (the plan's network). */
  networkB: z
    .strictObject({
      /**
       * "residual": ResNet basic blocks in the encoder, ⌈depth/2⌉ per level so B has as many
       * convolutions as A (MCF's ResNet-encoder V-Net); "plain": A's encoder.
       */
      encoder: z.enum(["residual", "plain"]).default("residual"),
      /** B's decoder upsampling; null keeps A's. */
      upsample: z.enum(["transposed", "trilinear", "nearest"]).nullable().default(null),
    })
    .prefault({}),
  verification: z
    .strictObject({
      weight: z.number().nonnegative().default(0.5),
      /** Probability at which a subnetwork counts as confident. */
      threshold: z.number().gt(0).lt(1).default(0.6),
    })
    .prefault({}),
  pseudoLabel: z
    .strictObject({
      /** Weight of the reliable CE, for each subnetwork. */
      weight: z.number().nonnegative().default(1),
      /** Ramp the weight up (false: full weight from the start, as the published code). */
      rampup: z.boolean().default(false),
      /** Lowest-entropy fraction of voxels each subnetwork vouches for. */
      reliableFraction: z.number().gt(0).max(1).default(0.2),
      /** Entropy percentile over the whole unlabelled batch or per image. */
      per: z.enum(["batch", "sample"]).default("batch"),
      /** Reliable voxels count once ("uniform") or by the pseudo-label's confidence. */
      weighting: z.enum(["uniform", "confidence"]).default("uniform"),
    })
    .prefault({}),
  contrastive: z
    .strictObject({
      /** Weight once ramped up (MCF's consistency weight). */
      weight: z.number().nonnegative().default(0.1),
      pullWeight: z.number().nonnegative().default(1),
      pushWeight: z.number().nonnegative().default(1),
    })
    .prefault({}),
  /** Iterations over which the contrastive weight ramps up; null: the whole run (the paper: 6,000 of 6,000). */
  rampupIterations: z.number().int().nonnegative().nullable().default(null),
});
export type DualContrastConfig = z.infer<typeof DualContrastConfigSchema>;

/** Subnetwork B's config: A's, with a residual encoder of the same convolution count and/or another upsampling. */
export function subnetworkBConfig(a: NetworkConfig, b: DualContrastConfig["networkB"]): NetworkConfig {
  const resolved = resolveNetworkConfig(a);
  const encoder = b.encoder === "residual" ? { ...resolved.encoder, block: "residual" as const, depths: resolved.encoder.depths.map((d) => Math.max(1, Math.ceil(d / 2))) } : resolved.encoder;
  const decoders = b.upsample === null ? resolved.decoders : resolved.decoders.map((d) => ({ ...d, upsample: b.upsample! }));
  return { ...resolved, encoder, decoders };
}

/** The two-subnetwork verification + contrastive strategy over the Trainer's Strategy contract. */
export class DualContrastStrategy implements Strategy {
  readonly name = "dual-contrast";
  readonly composition;
  readonly networkA: SegmentationNetwork;
  readonly networkB: SegmentationNetwork;
  readonly #cfg: DualContrastConfig;
  readonly #ignore: number | null;
  readonly #numClasses: number;
  readonly #rampup: number;
  readonly #dropoutA;
  readonly #dropoutB;

  constructor(cfg: DualContrastConfig, env: StrategyEnv) {
    this.#cfg = cfg;
    this.#ignore = env.ignoreLabel;
    this.#numClasses = env.numClasses;
    this.#rampup = rampupLength(cfg.rampupIterations, env, 1);
    this.composition = twoStreamComposition(cfg, env);
    const a: NetworkConfig = { ...env.network, deepSupervision: false };
    const b = subnetworkBConfig(a, cfg.networkB);
    this.#dropoutA = env.generator("dropout");
    this.#dropoutB = env.generator("dropout-b");
    this.networkA = new SegmentationNetwork(a, { generator: env.generator("init"), dropoutGenerator: this.#dropoutA });
    try {
      this.networkB = new SegmentationNetwork(b, { generator: env.generator("init-b"), dropoutGenerator: this.#dropoutB });
    } catch (e) {
      this.networkA.dispose();
      throw e;
    }
  }

  modules() {
    return { networkA: this.networkA, networkB: this.networkB };
  }

  parameters(): Tensor[] {
    return [...this.networkA.parameters(), ...this.networkB.parameters()];
  }

  generators() {
    return { dropoutA: this.#dropoutA, dropoutB: this.#dropoutB };
  }

  trainStep(batch: Batch, ctx: StepContext): StepOutput {
    const cfg = this.#cfg;
    const { labelled, image, numLabelled, numUnlabelled } = joinStreams(batch, this.name);
    const fwd = { embedding: false, deepSupervision: false } as const;
    const outs = [this.networkA.forward(image, fwd), this.networkB.forward(image, fwd)] as const;
    const opts = diceCEOptions(cfg.loss, this.#ignore);
    const [labA, labB] = outs.map((o) => rows(o.logits, 0, numLabelled)) as [Tensor, Tensor];
    const supA = diceCELossTerms(labA, labelled.label, opts);
    const supB = diceCELossTerms(labB, labelled.label, opts);
    const verification = verificationLoss(labA, labB, labelled.label, { threshold: cfg.verification.threshold, ignoreIndex: this.#ignore });
    let loss = supA.loss.add(supB.loss).add(verification.loss.mul(cfg.verification.weight));
    const logs: Record<string, Tensor | number> = {
      supervisedA: supA.loss,
      supervisedB: supB.loss,
      diceLossA: supA.dice,
      diceLossB: supB.dice,
      verification: verification.loss,
    };
    if (numUnlabelled > 0) {
      const { winner, loser } = selectWinner(supA.dice, supB.dice);
      const [unA, unB] = outs.map((o) => rows(o.logits, numLabelled)) as [Tensor, Tensor];
      const ignoreIndex = Math.max(255, this.#numClasses);
      // Targets without gradient: the union labels, the winner's argmax and the reliability mask.
      const pseudo = unionPseudoLabels(unA, unB, { reliableFraction: cfg.pseudoLabel.reliableFraction, per: cfg.pseudoLabel.per, ignoreIndex });
      const ce = { weighting: cfg.pseudoLabel.weighting, ignoreIndex };
      const pseudoLoss = reliableCrossEntropy(unA, pseudo, ce).add(reliableCrossEntropy(unB, pseudo, ce));
      const proto = prototypeContrastiveLoss(rows(outs[loser].features, numLabelled), pseudo.labels, hardPseudoLabels(rows(outs[winner].logits, numLabelled)), {
        numClasses: this.#numClasses,
        ignoreIndex,
        pullWeight: cfg.contrastive.pullWeight,
        pushWeight: cfg.contrastive.pushWeight,
      });
      const ramp = rampedWeight(ctx.iteration, 1, this.#rampup);
      const pseudoWeight = cfg.pseudoLabel.weight * (cfg.pseudoLabel.rampup ? ramp : 1);
      const contrastiveWeight = cfg.contrastive.weight * ramp;
      loss = loss.add(pseudoLoss.mul(pseudoWeight)).add(proto.loss.mul(contrastiveWeight));
      Object.assign(logs, {
        winner,
        reliableVoxels: pseudo.reliable.to("float32").mean(),
        pseudoLabel: pseudoLoss,
        prototypePull: proto.pull,
        prototypePush: proto.push,
        pseudoWeight,
        contrastiveWeight,
      });
    }
    return { loss, logs };
  }

  /** log of the mean of both subnetworks' softmax (logits whose softmax is that mean). */
  predict(image: Tensor): Tensor {
    return tidy(() => logMeanSoftmax(logitsOf(this.networkA, image), logitsOf(this.networkB, image)));
  }

  describe() {
    return {
      networks: { networkA: this.networkA.config as unknown as JsonObject, networkB: this.networkB.config as unknown as JsonObject },
      predictWith: ["networkA", "networkB"],
    };
  }

  dispose(): void {
    this.networkA.dispose();
    this.networkB.dispose();
  }

  [Symbol.dispose](): void {
    this.dispose();
  }
}

/** The factory the experiment registry uses. */
export function createDualContrastStrategy(cfg: DualContrastConfig, env: StrategyEnv): Strategy {
  return new DualContrastStrategy(cfg, env);
}
