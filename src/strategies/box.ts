// The box strategy: segmentation trained from one 3-D box per organ (Du, Dong, Xu, Liao, IEEE TMI
// 2023; recipe in ../shared/design/methods.md section A), optionally mixed with fully labelled
// cases in the same run. One network with a mask head and a contrastive (embedding) head (by
// default the strategy's own, on the decoder's features + the image):
//   box samples      projection (MIL) term + λ_pair(t)·pairwise term (grey-level or embedding
//                    affinity: cosine, or same-class probability under the step's prototypes)
//                    + λ_geo(t)·geometric prior (template, ICP, Chamfer) + optional area term;
//   labelled samples Dice + cross-entropy;
//   both             supervised InfoNCE training the contrastive head: true labels for labelled
//                    voxels, box labels (coarse: box core / outside, then refine: by the prediction
//                    or by the nearer prototype) for box voxels, pooled so the same organ in two
//                    patients is a positive pair.
// Unlabelled cases are not used. Every switch of the ablation (no / grey-level / embedding pairwise,
// with or without the prior, area term, projection variant) is a config value; the losses are the
// tested building blocks of src/losses/box.
import { z } from "zod";
import {
  UNUSED_VOXEL,
  boxAreaLoss,
  boxMasks,
  boxVoxelLabels,
  diceCELossTerms,
  ellipsoidTemplate,
  foregroundProbabilities,
  geometricPriorLoss,
  meanOccupancy,
  pairwiseLoss,
  type PairwiseAffinity,
  pairwiseWarmup,
  projectionLoss,
  resolveBoxes,
  sampleVoxels,
  supConLoss,
  templateFromMask,
  templateMaskLoss,
  templateOccupancy,
} from "../losses/index.js";
import { type BlockSettings, ContrastiveHead, type JsonObject, type Module, type NetworkConfig, SegmentationNetwork } from "../nn/index.js";
import { type Generator, type Tensor, any, arange, cat, clone, gather, index, keep, logicalAnd, logicalNot, noGrad, tensor, tidy, where } from "../tensor/index.js";
import type { Batch, BoxBatch, StepContext, StepOutput, Strategy, StrategyEnv, StrategyState } from "../training/index.js";

const nonneg = z.number().nonnegative();
const iterations = z.number().int().nonnegative();

/**
 * Labelled cases whose organs are voted into one mean-shape template (`meanOccupancy`). One case's
 * shape can be atypical: on hippocampus the vote of 5 cases placed in the validation boxes scored
 * Dice 0.69 against 0.62 for the first case alone, and 10 cases no better than 5.
 */
const templateCases = z.number().int().positive().default(5);

/** Where the geometric prior's organ templates come from. */
const TemplateSourceSchema = z.discriminatedUnion("source", [
  /** The labelled training cases of the fold holding the organ (the first `maxCases`, voted into one shape), else the ellipsoid. */
  z.strictObject({ source: z.literal("auto"), maxCases: templateCases }),
  /** The ellipsoid inscribed in the box (no data needed). */
  z.strictObject({ source: z.literal("ellipsoid") }),
  /**
   * Labelled training cases of the fold (never a box-annotated case's hidden label): `case` alone,
   * or the first `maxCases` holding the organ, voted into one shape.
   */
  z.strictObject({ source: z.literal("labelled"), case: z.string().min(1).optional(), maxCases: templateCases }),
  /** A label map file (NIfTI) with the dataset's label values, e.g. an atlas. */
  z.strictObject({ source: z.literal("file"), path: z.string().min(1) }),
]);

/** zod schema of `strategy` when `kind` is "box" (strict: unknown keys are errors). */
export const BoxConfigSchema = z
  .strictObject({
    kind: z.literal("box"),
    /** Box-annotated patches per batch. @default the plan's batch size minus the labelled patches (at least 1) */
    batchSize: z.number().int().positive().optional(),
    /** Fully labelled patches per batch (mixed supervision). @default half the plan's batch size (at least 1) when the fold has labelled cases, else 0 */
    labelledBatchSize: z.number().int().nonnegative().optional(),
    projection: z
      .strictObject({
        /** "profile": 1-D max-projections per axis (the authors' code); "plane": 2-D ones. */
        variant: z.enum(["profile", "plane"]).default("profile"),
        weight: nonneg.default(1),
        /**
         * An organ boxed in the case whose box misses the patch: "ignore" (the recipe: no box, no
         * term) leaves its channel free there; "penalise" pushes its projection to zero, since the
         * organ is absent from the patch. "penalise" is right when every case boxes every organ it
         * holds (e.g. boxes derived from labels) and matters with many organs, where most patches
         * miss some boxes. (On BTCV it did not by itself stop projection + prior from filling the
         * scans with organs: src/strategies/README.md.)
         */
        absent: z.enum(["ignore", "penalise"]).default("ignore"),
      })
      .prefault({}),
    pairwise: z
      .strictObject({
        /** "embedding": cosine similarity of the contrastive head (the method); "intensity": grey levels (BoxInst); "none". */
        affinity: z.enum(["none", "intensity", "embedding"]).default("embedding"),
        /** λ_pair after the warm-up. */
        weight: nonneg.default(1),
        /** Linear ramp of λ_pair from 0 over this many iterations. */
        warmupIterations: iterations.default(800),
        /** The ramp starts here (0 before): e.g. contrastive.coarseIterations, so the embedding pairs only once the head is trained. */
        startIteration: iterations.default(0),
        /** τ. @default 0.9 (embedding) or 0.94 (intensity) */
        threshold: z.number().min(-1).max(1).optional(),
        /** θ of the grey-level similarity exp(−θ‖I_i − I_j‖) on normalised intensities. */
        intensityScale: z.number().positive().default(0.5),
        /**
         * How the embedding affinity compares two voxels: "cosine" C_i·C_j ≥ τ (the paper's formula), or
         * "prototype": the probability that both fall on the same side of the step's background and
         * organ prototypes (class means of the contrastive head's drawn voxels), ≥ τ.
         */
        similarity: z.enum(["cosine", "prototype"]).default("prototype"),
        /** T of the prototype assignment softmax(C·μ / T). @default contrastive.temperature */
        prototypeTemperature: z.number().positive().optional(),
      })
      .prefault({}),
    contrastive: z
      .strictObject({
        /** Train the contrastive head. @default true exactly when pairwise.affinity is "embedding" */
        enabled: z.boolean().optional(),
        weight: nonneg.default(1),
        /** Embedding channels of the head (when the network config does not set one). */
        dim: z.number().int().positive().default(16),
        /** Box voxels are labelled coarsely (inside/outside the box) before this iteration and by the prediction after it. */
        coarseIterations: iterations.default(1000),
        /**
         * Coarse stage: only the box's central core (this fraction of each extent) counts as the
         * organ, the rest of the box is left out (neither organ nor background). 1 = the whole box
         * (the recipe's wording), which teaches the head box membership: the box's background corners
         * become "organ" and the pairwise term then pairs across the organ's surface (README, box
         * section). A core suits compact organs; the centre of a curved organ's box may be outside it.
         */
        coarseCore: z.number().gt(0).max(1).default(0.5),
        /**
         * Refine stage relabelling of box voxels: "prediction" (by the current probability, from
         * `refineThreshold`) or "prototype" (the recipe's distance to reference voxels: a voxel of
         * exactly one box outside its core takes the label of the nearer of the background and organ
         * prototypes, the class means of the coarse labels' voxels; needs coarseCore < 1).
         */
        refineBy: z.enum(["prediction", "prototype"]).default("prediction"),
        /** Refine stage: probability from which a voxel in a box counts as the organ. */
        refineThreshold: z.number().min(0).max(1).default(0.5),
        /** Voxels drawn per sample and label. */
        perLabel: z.number().int().positive().default(64),
        temperature: z.number().positive().default(0.1),
        /**
         * Let the contrastive loss train the shared backbone too (the patent trains all three parts
         * together); false (default, measured: the shared run collapsed on 2 of 5 seeds of the toy)
         * trains only the head, on detached decoder features.
         */
        backboneGradient: z.boolean().default(false),
        /**
         * What the head sees: "features" (the decoder's top features: the network's own contrastive
         * head) or "features+image" (those features with the input image's channels concatenated, a
         * head owned by the strategy), so the embedding can change as sharply as the image at an edge.
         */
        input: z.enum(["features", "features+image"]).default("features+image"),
      })
      .prefault({}),
    geometricPrior: z
      .strictObject({
        enabled: z.boolean().default(true),
        /** λ_geo after the warm-up (the Chamfer distance is divided by the box's squared mean half-extent). */
        weight: nonneg.default(1),
        /** Linear ramp of λ_geo from 0: the prior needs a predicted surface worth aligning. */
        warmupIterations: iterations.default(800),
        template: TemplateSourceSchema.prefault({ source: "auto" }),
        /** Template points per organ. */
        templatePoints: z.number().int().positive().default(1024),
        /** Align the placed template to the prediction with ICP (similarity transform) before the Chamfer distance. */
        icp: z.boolean().default(true),
        /** Voxels a box must keep from the patch faces to count as complete (only complete organs get the prior). */
        borderMargin: iterations.default(1),
        /** Predicted surface points per box (bounds the brute-force matching). */
        maxPoints: z.number().int().positive().default(2048),
        /**
         * Weight of the template-mask term (0 = off): the template organ's mask stretched into each
         * complete box as a soft Dice target, from the first iteration (it needs no predicted surface).
         * Measured on hippocampus (800 iterations, projection + prior): validation Dice 0.48 → 0.70.
         */
        maskWeight: nonneg.default(1),
      })
      .prefault({}),
    area: z
      .strictObject({
        enabled: z.boolean().default(false),
        weight: nonneg.default(1),
        /** θ: the box-interior mean foreground below which the term is active. */
        threshold: z.number().min(0).max(1).default(0.25),
      })
      .prefault({}),
    /** Dice + cross-entropy on labelled patches. */
    supervised: z.strictObject({ diceWeight: nonneg.default(1), ceWeight: nonneg.default(1) }).prefault({}),
  })
  .refine((c) => !(c.pairwise.affinity === "embedding" && c.contrastive.enabled === false), {
    message: 'pairwise.affinity "embedding" reads the contrastive head: it needs contrastive.enabled (an untrained head gives meaningless similarities)',
    path: ["contrastive", "enabled"],
  })
  .refine((c) => !(c.contrastive.refineBy === "prototype" && c.contrastive.coarseCore === 1), {
    message: 'contrastive.refineBy "prototype" relabels the box voxels outside the core: it needs contrastive.coarseCore < 1 (with 1 the core is the whole box and nothing would change)',
    path: ["contrastive", "refineBy"],
  });
export type BoxConfig = z.infer<typeof BoxConfigSchema>;

/** Where each organ's template came from (index = organ channel k, label value k + 1). */
export type TemplateOrigin = "ellipsoid" | `case:${string}` | `cases:${string}` | `file:${string}`;

/** The box strategy over one network with a mask head and (when needed) a contrastive head. */
export class BoxStrategy implements Strategy {
  readonly name = "box";
  readonly composition;
  readonly network: SegmentationNetwork;
  /** Per organ channel, where its template came from (empty with the prior off). */
  readonly templateOrigins: TemplateOrigin[] = [];
  readonly #cfg: BoxConfig;
  readonly #K: number;
  readonly #ignore: number | null;
  readonly #contrastive: boolean;
  /** Spacing (d, h, w) in mm of the patches. */
  readonly #spacing: [number, number, number];
  readonly #dropout: Generator;
  /** The contrastive head on decoder features + image (contrastive.input "features+image"), else null. */
  readonly embeddingHead: ContrastiveHead | null = null;
  /** Per organ channel, its template (P, 3) in [−1, 1]³, or null for the ellipsoid. Owned here. */
  #templates: (Tensor | null)[] = [];
  /** Per organ channel, its template's occupancy (d, h, w) cropped to the organ, or null for the ellipsoid. Owned here. */
  #occupancies: (Tensor | null)[] = [];

  constructor(cfg: BoxConfig, env: StrategyEnv) {
    this.#cfg = cfg;
    this.#K = env.numClasses - 1;
    if (this.#K < 1) throw new RangeError(`The box strategy needs at least one organ class. Received: numClasses ${env.numClasses}`);
    this.#ignore = env.ignoreLabel;
    this.#contrastive = cfg.contrastive.enabled ?? cfg.pairwise.affinity === "embedding";
    const cases = env.data?.cases;
    if (cases && cases.boxes.length === 0) {
      throw new RangeError(
        "The box strategy needs box-annotated training cases, but this fold has none: mark cases as boxes in labelwise.json, or turn labelled cases into box cases with split.boxes (their boxes/<case>.json must exist; `labelwise boxes-from-labels` derives them)",
      );
    }
    const labelled = cfg.labelledBatchSize ?? (cases && cases.labelled.length > 0 ? Math.max(1, Math.floor(env.batchSize / 2)) : 0);
    if (labelled > 0 && cases && cases.labelled.length === 0) {
      throw new RangeError(`The box strategy was asked for ${labelled} labelled patch(es) per batch (labelledBatchSize), but this fold has no labelled training case`);
    }
    this.composition = { labelled, unlabelled: 0, boxes: cfg.batchSize ?? Math.max(1, env.batchSize - labelled) };
    const head = env.network.contrastiveHead;
    const ownHead = this.#contrastive && cfg.contrastive.input === "features+image";
    const net: NetworkConfig = {
      ...env.network,
      deepSupervision: false,
      // With its own head (decoder features + image) the strategy leaves the network without one.
      contrastiveHead: ownHead ? false : this.#contrastive ? head || { dim: cfg.contrastive.dim } : (head ?? false),
    };
    const s: readonly [number, number, number] = env.data?.spacing ?? [1, 1, 1];
    this.#spacing = [s[2], s[1], s[0]];
    this.#dropout = env.generator("dropout");
    this.network = new SegmentationNetwork(net, { generator: env.generator("init"), dropoutGenerator: this.#dropout });
    if (ownHead) {
      const c = this.network.config;
      const top = c.channels[0] as number;
      const hc = typeof head === "object" && head ? head : {};
      // The network's norm and activation; no dropout in the head (its similarities are targets).
      const settings: BlockSettings = { norm: c.norm, activation: c.activation, convBias: c.convBias, dropout: { ...c.dropout, p: 0 }, generator: env.generator("embedding-head"), dropoutGenerator: undefined, dtype: undefined };
      const k = hc.kernelSize ?? 1;
      const kernel: [number, number, number] = typeof k === "number" ? [k, k, k] : [k[0] as number, k[1] as number, k[2] as number];
      this.embeddingHead = new ContrastiveHead(top + env.inChannels, hc.hiddenChannels ?? top, hc.dim ?? cfg.contrastive.dim, kernel, settings);
    }
    try {
      if (cfg.geometricPrior.enabled) this.#buildTemplates(env);
    } catch (e) {
      this.dispose();
      throw e;
    }
  }

  /** One template per organ, from the configured source (see TemplateSourceSchema). */
  #buildTemplates(env: StrategyEnv): void {
    const src = this.#cfg.geometricPrior.template;
    const points = this.#cfg.geometricPrior.templatePoints;
    const generator = env.generator("templates");
    const data = env.data;
    if ((src.source === "labelled" || src.source === "file") && !data) {
      throw new RangeError(`geometricPrior.template "${src.source}" needs the run's data (train through labelwise train, or use "ellipsoid")`);
    }
    // Label maps to take organs from, read one at a time: a file, or the fold's labelled cases in
    // order (never a box case: its label is the hidden truth of a box-supervised benchmark).
    let sources: { origin: TemplateOrigin; read: () => { label: ArrayLike<number>; shape: readonly [number, number, number] } | null }[] = [];
    if (src.source === "file") {
      const file = src.path;
      sources = [
        {
          origin: `file:${file}`,
          read: () => {
            const v = data!.readLabelMap(file);
            return { label: v.data as ArrayLike<number>, shape: v.shape };
          },
        },
      ];
    } else if (src.source === "labelled" || src.source === "auto") {
      if (src.source === "labelled" && src.case && !data!.cases.labelled.includes(src.case)) {
        throw new RangeError(`geometricPrior.template.case "${src.case}" is not a labelled training case of this fold (labelled: ${data!.cases.labelled.slice(0, 8).join(", ") || "none"})`);
      }
      const ids = src.source === "labelled" && src.case ? [src.case] : (data?.cases.labelled ?? []);
      if (src.source === "labelled" && ids.length === 0) throw new RangeError('geometricPrior.template "labelled" needs a labelled training case in the fold; use "auto" or "ellipsoid"');
      sources = ids.map((id) => ({
        origin: `case:${id}` as TemplateOrigin,
        read: () => {
          const pc = data!.case(id);
          return pc.label ? { label: pc.label, shape: pc.shape } : null;
        },
      }));
    }
    // Per organ, the masks of up to maxCases sources holding it; a file or a named case is the one
    // source asked for, and must hold every organ.
    const single = src.source === "file" || (src.source === "labelled" && src.case !== undefined);
    const maxCases = single ? 1 : src.source === "ellipsoid" ? 0 : src.maxCases;
    const found: { origins: string[]; masks: OrganMask[] }[] = Array.from({ length: this.#K }, () => ({ origins: [], masks: [] }));
    for (const source of sources) {
      if (found.every((f) => f.masks.length >= maxCases)) break;
      const map = source.read();
      if (!map) continue;
      for (let k = 0; k < this.#K; k++) {
        if (found[k]!.masks.length >= maxCases) continue;
        const mask = organMask(map.label, map.shape, k + 1);
        if (!mask) continue;
        found[k]!.masks.push(mask);
        found[k]!.origins.push(source.origin);
      }
    }
    for (let k = 0; k < this.#K; k++) {
      const f = found[k]!;
      if (f.masks.length === 0) {
        if (single) {
          throw new RangeError(`geometricPrior.template: ${sources[0]?.origin ?? src.source} holds no voxel of label value ${k + 1}`);
        }
        this.#templates.push(null);
        this.#occupancies.push(null);
        this.templateOrigins.push("ellipsoid");
        continue;
      }
      tidy(() => {
        // One mask's vote is that mask itself.
        const occupancy = meanOccupancy(f.masks.map((m) => templateOccupancy(tensor(m.data, [m.shape[2], m.shape[1], m.shape[0]], { dtype: "uint8" }))));
        this.#templates.push(keep(templateFromMask(occupancy, { maxPoints: points, generator })));
        this.#occupancies.push(keep(occupancy));
      });
      this.templateOrigins.push(f.origins.length === 1 ? (f.origins[0] as TemplateOrigin) : `cases:${f.origins.map((o) => o.slice("case:".length)).join(",")}`);
    }
  }

  modules(): Record<string, Module> {
    return this.embeddingHead ? { network: this.network, embeddingHead: this.embeddingHead } : { network: this.network };
  }

  parameters(): Tensor[] {
    return this.embeddingHead ? [...this.network.parameters(), ...this.embeddingHead.parameters()] : this.network.parameters();
  }

  generators() {
    return { dropout: this.#dropout };
  }

  trainStep(batch: Batch, ctx: StepContext): StepOutput {
    const cfg = this.#cfg;
    const l = batch.labelled;
    const b = batch.boxes;
    if (!b && !l) throw new TypeError("The box strategy needs box-annotated (or labelled) samples in every batch");
    if (b && b.boxMask.shape[1] !== this.#K) {
      throw new RangeError(`The box strategy expects box masks with ${this.#K} channel(s) (one per organ). Received: [${b.boxMask.shape.join(",")}]`);
    }
    const nl = l ? (l.image.shape[0] as number) : 0;
    const image = l && b ? cat([l.image, b.image], 0) : (l ?? b)!.image;
    const detach = this.#contrastive && !cfg.contrastive.backboneGradient;
    const ownHead = this.embeddingHead;
    const out = this.network.forward(image, { embedding: this.#contrastive && !detach && !ownHead });
    const embedding = ownHead
      ? ownHead.forward(cat([detach ? out.features.detach() : out.features, image], 1))
      : detach
        ? this.network.heads.at(0).contrastive!.forward(out.features.detach())
        : out.embedding;
    const logs: Record<string, Tensor | number> = {};
    const terms: Tensor[] = [];
    const add = (name: string, value: Tensor, weight: number) => {
      logs[name] = value;
      if (weight !== 0) terms.push(weight === 1 ? value : value.mul(weight));
    };

    if (l) {
      const logits = b ? out.logits.slice(0, 0, nl) : out.logits;
      // The supervised strategy's defaults (nnU-Net): batch Dice without background, linear denominator.
      const t = diceCELossTerms(logits, l.label, {
        diceWeight: cfg.supervised.diceWeight,
        ceWeight: cfg.supervised.ceWeight,
        ignoreIndex: this.#ignore,
        dice: { batchDice: true, includeBackground: false, denominator: "linear" },
      });
      logs.diceLoss = t.dice;
      logs.ceLoss = t.crossEntropy;
      terms.push(t.loss);
    }

    const boxLogits: Tensor | null = b ? (l ? out.logits.slice(0, nl) : out.logits) : null;
    // The contrastive head's voxels (drawn once: the InfoNCE trains on them, the prototype affinity reads their class means).
    let drawn: DrawnVoxels | null = null;
    if (this.#contrastive) {
      const stage = ctx.iteration < cfg.contrastive.coarseIterations ? "coarse" : "refine";
      logs.contrastiveRefine = stage === "refine" ? 1 : 0;
      drawn = this.#drawVoxels(embedding!, l?.label ?? null, b ?? null, boxLogits, stage, ctx.generator);
    }

    if (b && boxLogits) {
      const mask = b.boxMask;
      add("projection", projectionLoss(boxLogits, mask, { projection: cfg.projection.variant, absent: cfg.projection.absent }), cfg.projection.weight);
      if (cfg.pairwise.affinity !== "none") {
        const lambda = pairwiseWarmup(ctx.iteration - cfg.pairwise.startIteration, { warmupIterations: cfg.pairwise.warmupIterations, weight: cfg.pairwise.weight });
        logs.lambdaPairwise = lambda;
        if (lambda > 0) {
          const boxEmbedding = cfg.pairwise.affinity === "embedding" ? (l ? embedding!.slice(0, nl) : embedding!) : null;
          let weights: Tensor | null = null;
          let affinity: PairwiseAffinity;
          if (boxEmbedding && cfg.pairwise.similarity === "prototype") {
            const p = prototypes(drawn!, this.#K + 1);
            // An organ (or the background) without a drawn voxel this step has no prototype: its boxes sit out.
            weights = logicalAnd(p.present.slice(0, 1, this.#K + 1), p.present.slice(0, 0, 1)).to(boxLogits.dtype).unsqueeze(0).expand([mask.shape[0] as number, this.#K]);
            affinity = { kind: "prototype", embedding: boxEmbedding, prototypes: p.prototypes, temperature: cfg.pairwise.prototypeTemperature ?? cfg.contrastive.temperature };
          } else {
            affinity = boxEmbedding ? { kind: "embedding", embedding: boxEmbedding } : { kind: "intensity", image: b.image, scale: cfg.pairwise.intensityScale };
          }
          add("pairwise", pairwiseLoss(boxLogits, mask, { affinity, weights, ...(cfg.pairwise.threshold !== undefined ? { threshold: cfg.pairwise.threshold } : {}) }), lambda);
        }
      }
      if (cfg.geometricPrior.enabled) {
        const lambda = pairwiseWarmup(ctx.iteration, { warmupIterations: cfg.geometricPrior.warmupIterations, weight: cfg.geometricPrior.weight });
        logs.lambdaGeometric = lambda;
        // Both shape terms read the same clipped boxes and completeness flags.
        const patch = boxLogits.shape.slice(2) as [number, number, number];
        const boxes = resolveBoxes(b.boxes, patch, { channels: this.#K, borderMargin: cfg.geometricPrior.borderMargin });
        if (lambda > 0) {
          logs.completeBoxes = boxes.reduce((s, list) => s + list.filter((x) => x.complete).length, 0);
          const geo = geometricPriorLoss(boxLogits, boxes, {
            templates: this.#templates,
            spacing: this.#spacing,
            generator: ctx.generator,
            icp: cfg.geometricPrior.icp ? {} : false,
            maxPoints: cfg.geometricPrior.maxPoints,
          });
          add("geometric", geo, lambda);
        }
        if (cfg.geometricPrior.maskWeight > 0) {
          add("templateMask", templateMaskLoss(boxLogits, boxes, { masks: this.#occupancies }), cfg.geometricPrior.maskWeight);
        }
      }
      if (cfg.area.enabled) add("area", boxAreaLoss(boxLogits, mask, { threshold: cfg.area.threshold }), cfg.area.weight);
    }

    if (drawn) add("contrastive", supConLoss(drawn.features, drawn.label, { temperature: cfg.contrastive.temperature }), cfg.contrastive.weight);
    const loss = terms.length === 0 ? out.logits.sum().mul(0) : terms.reduce((a, t) => a.add(t));
    return { loss, logs };
  }

  /**
   * Voxels for the supervised InfoNCE, drawn from labelled samples (their labels) and box samples (box
   * labels, coarse or refined by the current prediction), pooled in one set: their embeddings and labels.
   */
  #drawVoxels(embedding: Tensor, label: Tensor | null, b: BoxBatch | null, boxLogits: Tensor | null, stage: "coarse" | "refine", generator: Generator): DrawnVoxels {
    const cfg = this.#cfg.contrastive;
    return tidy(() => {
      const parts: Tensor[] = [];
      if (label) parts.push(this.#ignore === null ? label : where(label.eq(this.#ignore), UNUSED_VOXEL, label));
      if (b && boxLogits) {
        if (stage === "refine" && cfg.refineBy === "prototype") {
          parts.push(this.#referenceLabels(b, label ? embedding.slice(0, label.shape[0] as number) : embedding));
        } else if (stage === "refine") {
          const probabilities = noGrad(() => foregroundProbabilities(boxLogits, "softmax"));
          parts.push(boxVoxelLabels(b.boxMask, { stage, probabilities, threshold: cfg.refineThreshold }));
        } else {
          parts.push(this.#coarseLabels(b));
        }
      }
      const labels = parts.length === 1 ? parts[0]! : cat(parts, 0);
      const drawn = sampleVoxels(labels, { perLabel: cfg.perLabel, labels: this.#K + 1, generator });
      const features = index(embedding.flatten(2), [drawn.sample, null, drawn.voxel]);
      return { features, label: drawn.label };
    });
  }

  /**
   * Refine labels by distance to reference voxels: the coarse labels (box core = organ, outside = background),
   * and every left-out voxel of exactly one box labelled by the nearer (cosine) of the background
   * prototype and its organ's prototype, both the unit means of the coarse-labelled voxels' embeddings.
   */
  #referenceLabels(b: BoxBatch, embedding: Tensor): Tensor {
    return noGrad(() =>
      tidy(() => {
        const coarse = this.#coarseLabels(b);
        const e = embedding.detach();
        const G = this.#K + 1;
        const onehot = coarse.unsqueeze(1).eq(arange(G, undefined, 1, { dtype: "int64", device: coarse.device }).reshape([1, G, 1, 1, 1])).to(e.dtype); // (N, G, D, H, W)
        const sums = onehot.flatten(2).transpose(0, 1).flatten(1).matmul(e.flatten(2).transpose(0, 1).flatten(1).transpose(0, 1)); // (G, E)
        const protos = sums.normalize(2, 1);
        const E = e.shape[1] as number;
        const cos = e.unsqueeze(1).mul(protos.reshape([1, G, E, 1, 1, 1])).sum(2); // (N, G, D, H, W)
        const inside = b.boxMask.gt(0);
        const count = inside.to("int64").sum(1);
        const organ = inside.to("int64").argmax(1).add(1); // (N, D, H, W): the covering organ's label where count is 1
        const nearer = where(gather(cos, 1, organ.unsqueeze(1)).squeeze(1).gt(cos.slice(1, 0, 1).squeeze(1)), organ, 0);
        return where(logicalAnd(coarse.eq(UNUSED_VOXEL), count.eq(1)), nearer, coarse);
      }),
    );
  }

  /**
   * Coarse labels of box samples: organ k in the central core of its box, unused in the rest of any
   * box, background outside every box (boxVoxelLabels on the core masks, then the box rims left out).
   */
  #coarseLabels(b: BoxBatch): Tensor {
    const core = this.#cfg.contrastive.coarseCore;
    if (core === 1) return boxVoxelLabels(b.boxMask, { stage: "coarse" });
    return noGrad(() =>
      tidy(() => {
        const patch = b.boxMask.shape.slice(2) as [number, number, number];
        const cores = b.boxes.map((list) =>
          list.map((x) => {
            const min = x.min.map((lo, a) => Math.round((lo + x.max[a]!) / 2 - ((x.max[a]! - lo) * core) / 2)) as [number, number, number];
            const max = x.min.map((lo, a) => Math.max(min[a]! + 1, Math.round((lo + x.max[a]!) / 2 + ((x.max[a]! - lo) * core) / 2))) as [number, number, number];
            return { value: x.value, min, max };
          }),
        );
        const coreMask = boxMasks(cores, patch, { channels: this.#K }).mask;
        const labels = boxVoxelLabels(coreMask, { stage: "coarse" });
        const rim = logicalAnd(any(b.boxMask.gt(0), 1), logicalNot(any(coreMask.gt(0), 1)));
        return where(rim, UNUSED_VOXEL, labels);
      }),
    );
  }

  predict(image: Tensor): Tensor {
    return this.network.forward(image, { embedding: false, deepSupervision: false }).logits;
  }

  /** The templates (borrowed) so a resumed run uses the very same point sets. */
  state(): StrategyState {
    const tensors = new Map<string, Tensor>();
    this.#templates.forEach((t, k) => t && tensors.set(`template/${k}`, t));
    this.#occupancies.forEach((t, k) => t && tensors.set(`occupancy/${k}`, t));
    return { tensors, json: { templateOrigins: [...this.templateOrigins] } };
  }

  loadState(s: StrategyState): void {
    const origins = (s.json as { templateOrigins?: unknown }).templateOrigins;
    if (!this.#cfg.geometricPrior.enabled) return;
    if (!Array.isArray(origins) || origins.length !== this.#K) {
      throw new RangeError(`Cannot restore the box strategy: the checkpoint records ${Array.isArray(origins) ? origins.length : "no"} template(s) for ${this.#K} organ(s)`);
    }
    const restore = (name: string) =>
      origins.map((_, k) => {
        const t = s.tensors.get(`${name}/${k}`);
        return t ? keep(noGrad(() => clone(t))) : null;
      });
    const next = restore("template");
    // Checkpoints from before the template-mask term hold no occupancy: those organs use the ellipsoid.
    const occupancies = restore("occupancy");
    for (const t of this.#templates) t?.dispose();
    for (const t of this.#occupancies) t?.dispose();
    this.#templates = next;
    this.#occupancies = occupancies;
    this.templateOrigins.splice(0, this.templateOrigins.length, ...(origins as TemplateOrigin[]));
  }

  /** Organ templates as (P, 3) point sets in [−1, 1]³ (the ellipsoid where none was built); the caller disposes them. */
  templates(): Tensor[] {
    return this.#templates.map((t) => (t ? clone(t) : ellipsoidTemplate(this.#cfg.geometricPrior.templatePoints)));
  }

  describe() {
    return { networks: { network: this.network.config as unknown as JsonObject }, predictWith: ["network"] };
  }

  dispose(): void {
    this.network.dispose();
    this.embeddingHead?.dispose();
    for (const t of this.#templates) t?.dispose();
    for (const t of this.#occupancies) t?.dispose();
    this.#templates = [];
    this.#occupancies = [];
  }

  [Symbol.dispose](): void {
    this.dispose();
  }
}

/** Voxels drawn for the contrastive head: embeddings (M, E) with gradient, int64 labels (M). */
interface DrawnVoxels {
  features: Tensor;
  label: Tensor;
}

/**
 * Unit class means of the drawn embeddings (detached): row g = label g (0 background, k + 1 organ k),
 * zero where a label has no voxel, and which rows are present.
 * @returns prototypes (G, E), present bool (G)
 */
function prototypes(drawn: DrawnVoxels, G: number): { prototypes: Tensor; present: Tensor } {
  return noGrad(() =>
    tidy(() => {
      const onehot = drawn.label.unsqueeze(1).eq(arange(G, undefined, 1, { dtype: "int64", device: drawn.label.device }).unsqueeze(0)).to(drawn.features.dtype); // (M, G)
      const sums = onehot.transpose(0, 1).matmul(drawn.features.detach()); // (G, E)
      const present = onehot.sum(0).gt(0);
      return { prototypes: sums.normalize(2, 1), present };
    }),
  );
}

/** One organ's binary mask cropped to its bounding box plus a one-voxel rim (x fastest, shape (x, y, z)). */
interface OrganMask {
  readonly data: Uint8Array;
  readonly shape: readonly [number, number, number];
}

/** The mask of label `value` in a label map (x fastest), cropped so templates of big scans stay cheap; null when absent. */
function organMask(label: ArrayLike<number>, shape: readonly [number, number, number], value: number): OrganMask | null {
  const [nx, ny, nz] = shape;
  const lo = [Infinity, Infinity, Infinity];
  const hi = [-1, -1, -1];
  let p = 0;
  for (let z = 0; z < nz; z++) {
    for (let y = 0; y < ny; y++) {
      for (let x = 0; x < nx; x++, p++) {
        if (Number(label[p]) !== value) continue;
        const c = [x, y, z];
        for (let a = 0; a < 3; a++) {
          if (c[a]! < lo[a]!) lo[a] = c[a]!;
          if (c[a]! > hi[a]!) hi[a] = c[a]!;
        }
      }
    }
  }
  if (hi[0]! < 0) return null;
  const start = lo.map((v) => Math.max(0, v - 1));
  const end = hi.map((v, a) => Math.min(shape[a]! - 1, v + 1));
  const size = start.map((s, a) => end[a]! - s + 1) as [number, number, number];
  const data = new Uint8Array(size[0] * size[1] * size[2]);
  let q = 0;
  for (let z = start[2]!; z <= end[2]!; z++) {
    for (let y = start[1]!; y <= end[1]!; y++) {
      for (let x = start[0]!; x <= end[0]!; x++, q++) data[q] = Number(label[x + nx * (y + ny * z)]) === value ? 1 : 0;
    }
  }
  return { data, shape: size };
}

/** The factory the experiment registry uses. */
export function createBoxStrategy(cfg: BoxConfig, env: StrategyEnv): Strategy {
  return new BoxStrategy(cfg, env);
}
