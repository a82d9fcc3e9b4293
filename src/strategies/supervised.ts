// The supervised strategy: one segmentation network trained with Dice + cross-entropy on labelled
// patches, optionally with deep supervision (auxiliary losses on the decoder's lower levels,
// weighted 1/2^level and normalised, the lowest level left out — nnU-Net's scheme). It is the
// lower bound (labelled subset) and upper bound (all labels) of every label-efficiency table.
import { z } from "zod";
import { diceCELossTerms } from "../losses/index.js";
import { type JsonObject, type NetworkConfig, SegmentationNetwork } from "../nn/index.js";
import { type Tensor, interpolate, tidy } from "../tensor/index.js";
import type { Batch, StepContext, StepOutput, Strategy, StrategyEnv } from "../training/index.js";

/** zod schema of `strategy` when `kind` is "supervised" (strict: unknown keys are errors). */
export const SupervisedConfigSchema = z.strictObject({
  kind: z.literal("supervised"),
  /** Labelled patches per batch. @default the plan's batch size */
  batchSize: z.number().int().positive().optional(),
  /** Auxiliary Dice+CE on the decoder's lower levels. */
  deepSupervision: z.boolean().default(true),
  loss: z
    .strictObject({
      diceWeight: z.number().nonnegative().default(1),
      ceWeight: z.number().nonnegative().default(1),
      /** One Dice per class over the whole batch (nnU-Net) instead of per sample. */
      batchDice: z.boolean().default(true),
      /** Score the background class in the Dice term. */
      includeBackground: z.boolean().default(false),
      /** "linear" Σp+Σt (nnU-Net) or "squared" Σp²+Σt² (V-Net). */
      denominator: z.enum(["linear", "squared"]).default("linear"),
    })
    .default({ diceWeight: 1, ceWeight: 1, batchDice: true, includeBackground: false, denominator: "linear" }),
});
export type SupervisedConfig = z.infer<typeof SupervisedConfigSchema>;

/** Deep-supervision weights for `n` outputs (full resolution first): 1/2^i, the lowest 0, normalised to sum 1. */
export function deepSupervisionWeights(n: number): number[] {
  const w = Array.from({ length: n }, (_, i) => (i === n - 1 && n > 1 ? 0 : 1 / 2 ** i));
  const s = w.reduce((a, b) => a + b, 0);
  return w.map((x) => x / s);
}

/** Label map (N, D, H, W) int64 resized to `size` by nearest neighbour. */
function resizeLabel(label: Tensor, size: readonly number[]): Tensor {
  return tidy(() => interpolate(label.unsqueeze(1).to("float32"), { size: [size[0]!, size[1]!, size[2]!], mode: "nearest" }).squeeze(1).to("int64"));
}

/** The supervised strategy over one network. */
export class SupervisedStrategy implements Strategy {
  readonly name = "supervised";
  readonly composition;
  readonly network: SegmentationNetwork;
  readonly #cfg: SupervisedConfig;
  readonly #ignore: number | null;
  readonly #dropout;

  constructor(cfg: SupervisedConfig, env: StrategyEnv) {
    this.#cfg = cfg;
    this.#ignore = env.ignoreLabel;
    this.composition = { labelled: cfg.batchSize ?? env.batchSize, unlabelled: 0, boxes: 0 };
    const net: NetworkConfig = { ...env.network, deepSupervision: cfg.deepSupervision };
    this.#dropout = env.generator("dropout");
    this.network = new SegmentationNetwork(net, { generator: env.generator("init"), dropoutGenerator: this.#dropout });
  }

  modules() {
    return { network: this.network };
  }

  parameters(): Tensor[] {
    return this.network.parameters();
  }

  generators() {
    return { dropout: this.#dropout };
  }

  trainStep(batch: Batch, _ctx: StepContext): StepOutput {
    const l = batch.labelled;
    if (!l) throw new TypeError("The supervised strategy needs labelled samples in every batch");
    const out = this.network.forward(l.image, { embedding: false });
    const opts = {
      diceWeight: this.#cfg.loss.diceWeight,
      ceWeight: this.#cfg.loss.ceWeight,
      ignoreIndex: this.#ignore,
      dice: { batchDice: this.#cfg.loss.batchDice, includeBackground: this.#cfg.loss.includeBackground, denominator: this.#cfg.loss.denominator },
    };
    const outputs = [out.logits, ...(out.deepSupervision ?? [])];
    const weights = deepSupervisionWeights(outputs.length);
    let loss: Tensor | null = null;
    let dice: Tensor | null = null;
    let ce: Tensor | null = null;
    outputs.forEach((logits, i) => {
      if (weights[i] === 0) return;
      const target = i === 0 ? l.label : resizeLabel(l.label, logits.shape.slice(2));
      const t = diceCELossTerms(logits, target, opts);
      const w = weights[i]!;
      loss = loss === null ? t.loss.mul(w) : loss.add(t.loss.mul(w));
      if (i === 0) {
        dice = t.dice;
        ce = t.crossEntropy;
      }
    });
    return { loss: loss!, logs: { diceLoss: dice!, ceLoss: ce! } };
  }

  predict(image: Tensor): Tensor {
    return this.network.forward(image, { embedding: false, deepSupervision: false }).logits;
  }

  describe() {
    return { networks: { network: this.network.config as unknown as JsonObject }, predictWith: ["network"] };
  }

  dispose(): void {
    this.network.dispose();
  }

  [Symbol.dispose](): void {
    this.dispose();
  }
}

/** The factory the experiment registry uses. */
export function createSupervisedStrategy(cfg: SupervisedConfig, env: StrategyEnv): Strategy {
  return new SupervisedStrategy(cfg, env);
}
