// Bidirectional copy-paste (BCP) with an EMA teacher, in two stages chosen by the iteration (so a
// resumed run lands in the right one):
// - pre-training: a cuboid of each labelled patch pasted into another labelled patch (Dice + CE on
//   the mixed labels); the teacher follows the student exactly;
// - self-training: the teacher labels the unlabelled patches (argmax, then the largest connected
//   component per class); a cuboid of labelled patch i goes into unlabelled patch i and a cuboid of
//   unlabelled patch i into labelled patch i, and the student learns both mixes with voxel weights
//   1 (from the labelled patch) and 0.5 (from the unlabelled patch); the teacher is an EMA of the
//   student from there on.
// Recipe: ../shared/design/methods.md section D; defaults and where we differ from the published
// code: README.md.
import { z } from "zod";
import { type MixedBatch, copyPasteMix, cuboidMask, diceCELossTerms, hardPseudoLabels, largestComponentLabels } from "../losses/index.js";
import { type Tensor, cat, noGrad } from "../tensor/index.js";
import type { Batch, StepContext, StepOutput, Strategy, StrategyEnv } from "../training/index.js";
import { SupervisedLossSchema, diceCEOptions, rows, streamSizesShape, twoStreamComposition } from "./_internal/semi-common.js";
import { StudentTeacherStrategy, logitsOf } from "./_internal/student-teacher.js";

/** zod schema of `strategy` when `kind` is "bcp" (strict: unknown keys are errors). */
export const BCPConfigSchema = z.strictObject({
  kind: z.literal("bcp"),
  ...streamSizesShape,
  /** Dice + CE on the mixed patches (the supervised strategy's settings; the voxel weights are its mask). */
  loss: SupervisedLossSchema,
  /** Iterations of the labelled-only pre-training stage; null: 2/17 of the run (BCP on LA: 2,000 + 15,000). */
  pretrainIterations: z.number().int().nonnegative().nullable().default(null),
  /** Cuboid edge as a fraction of the patch edge, per axis. */
  maskRatio: z.number().gt(0).max(1).default(2 / 3),
  /** Loss weight of voxels that come from the unlabelled patch (labelled voxels weigh 1). */
  unlabelledWeight: z.number().nonnegative().default(0.5),
  /** Keep only the largest connected component per class of the teacher's labels. */
  largestComponent: z.boolean().default(true),
  ema: z
    .strictObject({
      decay: z.number().min(0).max(1).default(0.99),
      /** min(decay, 1 − 1/(step + 1)) in the first self-training steps (BCP: off; the teacher starts as the pre-trained student). */
      warmup: z.boolean().default(false),
    })
    .prefault({}),
  /** The network that predicts at validation and inference (BCP evaluates the student). */
  predictWith: z.enum(["student", "teacher"]).default("student"),
});
export type BCPConfig = z.infer<typeof BCPConfigSchema>;

export type BCPStage = "pretrain" | "self-train";

/** What the student learns from in one step. */
export interface BCPInputs {
  stage: BCPStage;
  /** Pre-training: one mix; self-training: [labelled cuboid in unlabelled patch, unlabelled cuboid in labelled patch]. */
  mixes: MixedBatch[];
  /** The cuboid (D, H, W), bool. */
  mask: Tensor;
  /** The teacher's (filtered) labels of the unlabelled patches (self-training only). */
  pseudoLabels?: Tensor;
}

/** BCP over a student and its EMA teacher. */
export class BCPStrategy extends StudentTeacherStrategy implements Strategy {
  readonly name = "bcp";
  readonly composition;
  /** Iterations of the pre-training stage. */
  readonly pretrainIterations: number;
  readonly #cfg: BCPConfig;
  readonly #ignore: number | null;

  constructor(cfg: BCPConfig, env: StrategyEnv) {
    // Checked before the networks exist, so a refused config allocates nothing.
    const composition = twoStreamComposition(cfg, env);
    if (composition.unlabelled !== composition.labelled) {
      throw new RangeError(`bcp: pairs labelled patch i with unlabelled patch i, so it needs as many unlabelled as labelled patches per batch. Received: labelled ${composition.labelled}, unlabelled ${composition.unlabelled}`);
    }
    super(env, { decay: cfg.ema.decay, warmup: cfg.ema.warmup }, cfg.predictWith);
    this.#cfg = cfg;
    this.#ignore = env.ignoreLabel;
    this.composition = composition;
    this.pretrainIterations = cfg.pretrainIterations ?? Math.round((2 / 17) * env.totalIterations);
  }

  /** The stage of `iteration`: a pure function of it, so a resumed run continues in the right stage. */
  stage(iteration: number): BCPStage {
    return iteration < this.pretrainIterations ? "pretrain" : "self-train";
  }

  /** The teacher's labels of unlabelled patches: argmax, then (optionally) the largest component per class. */
  pseudoLabels(images: Tensor): Tensor {
    return noGrad(() => {
      const hard = hardPseudoLabels(logitsOf(this.teacher, images));
      return this.#cfg.largestComponent ? largestComponentLabels(hard) : hard;
    });
  }

  /** The mixed patches of one step (created in the caller's scope). */
  inputs(batch: Batch, ctx: StepContext): BCPInputs {
    const l = batch.labelled;
    if (!l) throw new TypeError(`The bcp strategy needs labelled samples in every batch. Received streams: ${Object.keys(batch).filter((k) => k !== "index").join(", ") || "none"}`);
    const [, , d, h, w] = l.image.shape as [number, number, number, number, number];
    const { mask } = cuboidMask([d, h, w], { ratio: this.#cfg.maskRatio, generator: ctx.generator });
    const stage = this.stage(ctx.iteration);
    if (stage === "pretrain") {
      // Labelled copy-paste: patch i's cuboid into patch i + 1 (cyclically), every voxel labelled.
      const n = l.image.shape[0] as number;
      const roll = (t: Tensor) => (n > 1 ? cat([rows(t, 1), rows(t, 0, 1)], 0) : t);
      const mix = copyPasteMix({ labelledImages: l.image, labelledLabels: l.label, unlabelledImages: roll(l.image), unlabelledLabels: roll(l.label), mask, unlabelledWeight: 1 });
      return { stage, mixes: [mix.labelledIntoUnlabelled], mask };
    }
    const u = batch.unlabelled;
    if (!u) throw new TypeError("The bcp strategy needs unlabelled samples in every batch of its self-training stage");
    const pseudoLabels = this.pseudoLabels(u.image);
    const mix = copyPasteMix({ labelledImages: l.image, labelledLabels: l.label, unlabelledImages: u.image, unlabelledLabels: pseudoLabels, mask, unlabelledWeight: this.#cfg.unlabelledWeight });
    return { stage, mixes: [mix.labelledIntoUnlabelled, mix.unlabelledIntoLabelled], mask, pseudoLabels };
  }

  trainStep(batch: Batch, ctx: StepContext): StepOutput {
    const { stage, mixes } = this.inputs(batch, ctx);
    // One forward over every mixed patch; each mix is its own loss term, as in BCP (loss_l + loss_u).
    const logits = logitsOf(this.student, mixes.length === 1 ? mixes[0]!.images : cat(mixes.map((m) => m.images), 0));
    const opts = diceCEOptions(this.#cfg.loss, this.#ignore);
    let start = 0;
    const terms = mixes.map((m) => {
      const n = m.images.shape[0] as number;
      const t = diceCELossTerms(rows(logits, start, start + n), m.labels, { ...opts, ...(stage === "self-train" ? { mask: m.weights } : {}) });
      start += n;
      return t;
    });
    const loss = terms.length === 1 ? terms[0]!.loss : terms[0]!.loss.add(terms[1]!.loss);
    const logs: Record<string, Tensor | number> = { selfTraining: stage === "self-train" ? 1 : 0 };
    if (stage === "pretrain") Object.assign(logs, { diceLoss: terms[0]!.dice, ceLoss: terms[0]!.crossEntropy });
    else Object.assign(logs, { labelledIntoUnlabelled: terms[0]!.loss, unlabelledIntoLabelled: terms[1]!.loss });
    return { loss, logs };
  }

  afterOptimizerStep(ctx: StepContext): void {
    // Pre-training: the teacher is the student, so self-training starts from the pre-trained weights in both.
    if (this.stage(ctx.iteration) === "pretrain") this.pair.copyStudentToTeacher();
    else this.pair.updateTeacher(ctx.iteration - this.pretrainIterations);
  }
}

/** The factory the experiment registry uses. */
export function createBCPStrategy(cfg: BCPConfig, env: StrategyEnv): Strategy {
  return new BCPStrategy(cfg, env);
}
