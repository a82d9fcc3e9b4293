// Mean teacher: a student trained with Dice + CE on labelled patches plus a consistency term that
// pulls its softmax towards a teacher's on (noisy copies of) the same patches. The teacher is an
// exponential moving average of the student: it has no gradient, is not in the optimizer, and is
// updated after each optimizer step. Recipe: ../shared/design/methods.md section D; defaults and
// where we differ from the published code: README.md.
import { z } from "zod";
import { diceCELossTerms, softmaxMSELoss } from "../losses/index.js";
import { type Tensor, noGrad, randn } from "../tensor/index.js";
import type { Batch, StepContext, StepOutput, Strategy, StrategyEnv } from "../training/index.js";
import { SupervisedLossSchema, diceCEOptions, joinStreams, rampedWeight, rampupLength, rows, streamSizesShape, twoStreamComposition } from "./_internal/semi-common.js";
import { StudentTeacherStrategy, logitsOf } from "./_internal/student-teacher.js";

/** zod schema of `strategy` when `kind` is "mean-teacher" (strict: unknown keys are errors). */
export const MeanTeacherConfigSchema = z.strictObject({
  kind: z.literal("mean-teacher"),
  ...streamSizesShape,
  /** Dice + CE on the labelled patches (the supervised strategy's settings). */
  loss: SupervisedLossSchema,
  ema: z
    .strictObject({
      /** Weight of the old teacher value. */
      decay: z.number().min(0).max(1).default(0.99),
      /** Use min(decay, 1 − 1/(step + 1)) early on, so the teacher is not stuck near the initial weights. */
      warmup: z.boolean().default(true),
    })
    .prefault({}),
  consistency: z
    .strictObject({
      /** Weight of the softmax MSE once ramped up. */
      weight: z.number().nonnegative().default(0.1),
      /** Iterations of the sigmoid ramp-up; null: the whole run (UA-MT / SSL4MIS on LA: 6,000 of 6,000). */
      rampupIterations: z.number().int().nonnegative().nullable().default(null),
      /** Patches the consistency term covers: the unlabelled ones (SSL4MIS) or every patch (the original paper). */
      on: z.enum(["unlabelled", "all"]).default("unlabelled"),
    })
    .prefault({}),
  /** Gaussian noise added to the teacher's input: clamp(N(0, std²), −clip, clip). std 0 turns it off. */
  noise: z.strictObject({ std: z.number().nonnegative().default(0.1), clip: z.number().positive().default(0.2) }).prefault({}),
  /** The network that predicts at validation and inference. */
  predictWith: z.enum(["student", "teacher"]).default("student"),
});
export type MeanTeacherConfig = z.infer<typeof MeanTeacherConfigSchema>;

/** Mean teacher over two copies of the plan's network. */
export class MeanTeacherStrategy extends StudentTeacherStrategy implements Strategy {
  readonly name = "mean-teacher";
  readonly composition;
  readonly #cfg: MeanTeacherConfig;
  readonly #ignore: number | null;
  readonly #rampup: number;

  constructor(cfg: MeanTeacherConfig, env: StrategyEnv) {
    super(env, { decay: cfg.ema.decay, warmup: cfg.ema.warmup }, cfg.predictWith);
    this.#cfg = cfg;
    this.#ignore = env.ignoreLabel;
    this.composition = twoStreamComposition(cfg, env);
    this.#rampup = rampupLength(cfg.consistency.rampupIterations, env, 1);
  }

  /** The consistency weight at `iteration` (sigmoid ramp-up). */
  consistencyWeight(iteration: number): number {
    return rampedWeight(iteration, this.#cfg.consistency.weight, this.#rampup);
  }

  trainStep(batch: Batch, ctx: StepContext): StepOutput {
    const j = joinStreams(batch, "mean-teacher");
    const logits = logitsOf(this.student, j.image);
    const sup = diceCELossTerms(rows(logits, 0, j.numLabelled), j.labelled.label, diceCEOptions(this.#cfg.loss, this.#ignore));
    const from = this.#cfg.consistency.on === "all" ? 0 : j.numLabelled;
    const weight = this.consistencyWeight(ctx.iteration);
    if (from >= j.numLabelled + j.numUnlabelled) return { loss: sup.loss, logs: { diceLoss: sup.dice, ceLoss: sup.crossEntropy, consistencyWeight: weight } };
    const x = rows(j.image, from);
    const { std, clip } = this.#cfg.noise;
    const teacherIn = std > 0 ? x.add(randn(x.shape, { generator: ctx.generator, dtype: x.dtype, device: x.device }).mul(std).clamp(-clip, clip)) : x;
    const target = noGrad(() => logitsOf(this.teacher, teacherIn));
    const consistency = softmaxMSELoss(rows(logits, from), target);
    return { loss: sup.loss.add(consistency.mul(weight)), logs: { diceLoss: sup.dice, ceLoss: sup.crossEntropy, consistency, consistencyWeight: weight } };
  }

  afterOptimizerStep(ctx: StepContext): void {
    this.pair.updateTeacher(ctx.iteration);
  }
}

/** The factory the experiment registry uses. */
export function createMeanTeacherStrategy(cfg: MeanTeacherConfig, env: StrategyEnv): Strategy {
  return new MeanTeacherStrategy(cfg, env);
}
