// FBA-Net (and FBA-Net+ with several decoders): each decoder's logits go through a contrastive
// module that makes one foreground and one background embedding per image; foreground embeddings
// of different images attract, background embeddings attract, and every foreground repels every
// background (rank-weighted similarity losses), on labelled and unlabelled images alike. Labelled
// images also get Dice + CE; with several decoders (different upsampling), each decoder is pulled
// towards the others' sharpened predictions (mutual consistency). Recipe and the published code's
// defects we avoid: ../shared/design/methods.md section B; our choices: README.md.
import { z } from "zod";
import { diceCELossTerms, fbaContrastiveLoss, mutualConsistencyLoss } from "../losses/index.js";
import {
  type DecoderConfig,
  FBAContrastiveHead,
  type JsonObject,
  ModuleList,
  type NetworkConfig,
  SegmentationNetwork,
  type UpsampleKind,
  decoderOutputs,
} from "../nn/index.js";
import type { Tensor } from "../tensor/index.js";
import type { Batch, StepContext, StepOutput, Strategy, StrategyEnv } from "../training/index.js";
import { SupervisedLossSchema, diceCEOptions, joinStreams, rampedWeight, rampupLength, rows, streamSizesShape, twoStreamComposition } from "./_internal/semi-common.js";

const positiveInt = z.number().int().positive();

/** zod schema of `strategy` when `kind` is "fba" (strict: unknown keys are errors). */
export const FBAConfigSchema = z.strictObject({
  kind: z.literal("fba"),
  ...streamSizesShape,
  /**
   * Decoders sharing the encoder: 1 is FBA-Net; 2 or 3 is FBA-Net+ (transposed-conv, trilinear and
   * nearest upsampling, in that order, unless the network config lists as many decoders) with
   * mutual consistency between them.
   */
  decoders: z.number().int().min(1).max(3).default(1),
  /** Dice + CE on the labelled patches, per decoder. */
  loss: SupervisedLossSchema,
  contrastive: z
    .strictObject({
      /** Weight of L_contra = Max(f) + Max(b) + Min(f, b), summed over decoders. */
      weight: z.number().nonnegative().default(1),
      /** Ramp the weight up with the consistency weight's schedule (false: full weight from the start, as the published code). */
      rampup: z.boolean().default(true),
      /** Rank decay of the attracting terms. */
      positiveAlpha: z.number().nonnegative().default(0.25),
      /** Rank decay of the repelling term. */
      negativeAlpha: z.number().nonnegative().default(2.5),
    })
    .prefault({}),
  /** Mutual consistency between decoders (only with decoders > 1). */
  consistency: z
    .strictObject({
      /** Weight once ramped up, of the sum over ordered decoder pairs of MSE(p_i, sharpen(p_j)). */
      weight: z.number().nonnegative().default(1),
      /** Sharpening temperature of the (detached) targets. */
      temperature: z.number().positive().default(0.1),
    })
    .prefault({}),
  /** Iterations over which the unsupervised weights ramp up; null: 60 % of the run (FBA-Net+: 6,000 of 10,000). */
  rampupIterations: z.number().int().nonnegative().nullable().default(null),
  /** The contrastive module on each decoder's logits. */
  head: z
    .strictObject({
      embeddingDim: positiveInt.default(128),
      /** Hidden width of each MLP; 0 makes each MLP one Linear layer. */
      hiddenDim: z.number().int().nonnegative().default(128),
      /**
       * "none": the MLPs read vec(A); "mean": vec(A)/M as in the paper, which leaves every similarity
       * on the loss's clamps, i.e. no gradient (src/losses/semi/README.md).
       */
      inputScale: z.enum(["none", "mean"]).default("none"),
      /**
       * Average pooling of the activation map before the MLPs: a kernel (one number or [D, H, W]),
       * or "auto": the smallest kernel, grown on the longest axis first, that leaves at most
       * maxInputFeatures map voxels (an MLP's first layer holds map voxels × hiddenDim weights).
       */
      pool: z.union([z.literal("auto"), positiveInt, z.tuple([positiveInt, positiveInt, positiveInt])]).default("auto"),
      maxInputFeatures: positiveInt.default(32768),
    })
    .prefault({}),
});
export type FBAConfig = z.infer<typeof FBAConfigSchema>;

/** FBA-Net+'s three decoders differ only in how they upsample. */
const UPSAMPLING: readonly UpsampleKind[] = ["transposed", "trilinear", "nearest"];

/** The network config with `n` decoders: the network config's own list when it has n, else the FBA-Net+ upsampling variants. */
function withDecoders(net: NetworkConfig, n: number): NetworkConfig {
  const given = net.decoders;
  if (given && given.length === n) return net;
  if (given && given.length > 1) {
    throw new RangeError(`fba: strategy.decoders is ${n} but the network config lists ${given.length} decoders; make them agree (or drop network.decoders)`);
  }
  const base: DecoderConfig = given?.[0] ?? {};
  return { ...net, decoders: n === 1 ? [base] : UPSAMPLING.slice(0, n).map((upsample) => ({ ...base, upsample })) };
}

/** Size of the activation map for a patch: the head's stride-2, 3×3×3, padding-1 convolution. */
const mapSize = (patch: readonly number[]): number[] => patch.map((n) => Math.floor((n - 1) / 2) + 1);

/**
 * The average-pooling kernel for the head: the configured one, or for "auto" the kernel grown one
 * step at a time on the axis whose pooled length is largest until at most `maxInputs` voxels remain.
 */
export function fbaHeadPool(patch: readonly [number, number, number], pool: FBAConfig["head"]["pool"], maxInputs: number): [number, number, number] {
  if (pool !== "auto") return typeof pool === "number" ? [pool, pool, pool] : [...pool];
  const map = mapSize(patch);
  const k = [1, 1, 1];
  const pooled = () => map.map((m, i) => Math.floor(m / (k[i] as number)));
  const volume = () => pooled().reduce((a, b) => a * b, 1);
  while (volume() > maxInputs) {
    const p = pooled();
    const axis = p.indexOf(Math.max(...p));
    k[axis] = (k[axis] as number) + 1;
  }
  return k as [number, number, number];
}

/** FBA-Net(+) over the Trainer's Strategy contract. */
export class FBAStrategy implements Strategy {
  readonly name = "fba";
  readonly composition;
  readonly network: SegmentationNetwork;
  /** One contrastive module per decoder. */
  readonly heads: ModuleList<FBAContrastiveHead>;
  readonly #cfg: FBAConfig;
  readonly #ignore: number | null;
  readonly #rampup: number;
  readonly #dropout;

  constructor(cfg: FBAConfig, env: StrategyEnv) {
    if (!env.patchSize) throw new TypeError("fba: the strategy environment has no patchSize; FBA-Net's contrastive head is sized by the training patch (D, H, W)");
    this.#cfg = cfg;
    this.#ignore = env.ignoreLabel;
    this.#rampup = rampupLength(cfg.rampupIterations, env, 0.6);
    this.composition = twoStreamComposition(cfg, env);
    this.#dropout = env.generator("dropout");
    const net: NetworkConfig = { ...withDecoders(env.network, cfg.decoders), deepSupervision: false };
    this.network = new SegmentationNetwork(net, { generator: env.generator("init"), dropoutGenerator: this.#dropout });
    const patchSize = env.patchSize;
    const pool = fbaHeadPool(patchSize, cfg.head.pool, cfg.head.maxInputFeatures);
    const headInit = env.generator("init-fba-heads");
    const heads: FBAContrastiveHead[] = [];
    try {
      for (let k = 0; k < cfg.decoders; k++) {
        const h = { embeddingDim: cfg.head.embeddingDim, hiddenDim: cfg.head.hiddenDim, inputScale: cfg.head.inputScale };
        heads.push(new FBAContrastiveHead({ patchSize: [...patchSize], inChannels: env.numClasses, ...h, pool, generator: headInit }));
      }
    } catch (e) {
      for (const h of heads) h.dispose();
      this.network.dispose();
      throw e;
    }
    this.heads = new ModuleList(heads);
  }

  modules() {
    return { network: this.network, fbaHeads: this.heads };
  }

  parameters(): Tensor[] {
    return [...this.network.parameters(), ...this.heads.parameters()];
  }

  generators() {
    return { dropout: this.#dropout };
  }

  trainStep(batch: Batch, ctx: StepContext): StepOutput {
    const cfg = this.#cfg;
    const { labelled, image, numLabelled } = joinStreams(batch, this.name);
    const outs = decoderOutputs(this.network.forward(image, { embedding: false, deepSupervision: false }));
    const opts = diceCEOptions(cfg.loss, this.#ignore);
    const alphas = { positiveAlpha: cfg.contrastive.positiveAlpha, negativeAlpha: cfg.contrastive.negativeAlpha };
    const terms = outs.map((o, k) => ({
      supervised: diceCELossTerms(rows(o.logits, 0, numLabelled), labelled.label, opts),
      // Every image of the batch, labelled or not; the gradient flows through the head into the
      // logits (the published loss ran without gradient).
      contrastive: fbaContrastiveLoss(this.heads.at(k).forward(o.logits), alphas),
    }));
    // Summed over decoders (as FBA-Net+): each decoder gets the gradient it would get alone.
    const supervised = total(terms.map((t) => t.supervised.loss));
    const contrastive = total(terms.map((t) => t.contrastive.loss));
    const ramp = rampedWeight(ctx.iteration, 1, this.#rampup);
    const contrastiveWeight = cfg.contrastive.weight * (cfg.contrastive.rampup ? ramp : 1);
    let loss = supervised.add(contrastive.mul(contrastiveWeight));
    const k = terms.length;
    const logs: Record<string, Tensor | number> = {
      supervised,
      diceLoss: total(terms.map((t) => t.supervised.dice)).div(k),
      ceLoss: total(terms.map((t) => t.supervised.crossEntropy)).div(k),
      contrastive,
      contrastiveForeground: total(terms.map((t) => t.contrastive.foreground)).div(k),
      contrastiveBackground: total(terms.map((t) => t.contrastive.background)).div(k),
      contrastiveNegative: total(terms.map((t) => t.contrastive.negative)).div(k),
      contrastiveWeight,
    };
    if (outs.length > 1) {
      // Summed over the K(K − 1) ordered pairs like the other terms (the building block returns
      // their mean). Targets are detached inside (the published code let gradient into them).
      const pairs = k * (k - 1);
      const consistency = mutualConsistencyLoss(outs.map((o) => o.logits), { temperature: cfg.consistency.temperature }).mul(pairs);
      const consistencyWeight = cfg.consistency.weight * ramp;
      loss = loss.add(consistency.mul(consistencyWeight));
      logs.consistency = consistency;
      logs.consistencyWeight = consistencyWeight;
    }
    return { loss, logs };
  }

  /** Decoder 0's logits, as inference uses them (src/inference reads `forward(x).logits`). */
  predict(image: Tensor): Tensor {
    return this.network.forward(image, { embedding: false, deepSupervision: false, decoder: 0 }).logits;
  }

  describe() {
    return { networks: { network: this.network.config as unknown as JsonObject }, predictWith: ["network"] };
  }

  dispose(): void {
    this.network.dispose();
    this.heads.dispose();
  }

  [Symbol.dispose](): void {
    this.dispose();
  }
}

/** Sum of per-decoder scalars. */
function total(ts: readonly Tensor[]): Tensor {
  return ts.reduce((a, b) => a.add(b));
}

/** The factory the experiment registry uses. */
export function createFBAStrategy(cfg: FBAConfig, env: StrategyEnv): Strategy {
  return new FBAStrategy(cfg, env);
}
