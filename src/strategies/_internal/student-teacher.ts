// A student network and its EMA teacher, as mean-teacher and bcp use them: the teacher starts as a
// copy of the student, has no gradient, is not in the optimizer's parameters, and is checkpointed
// with the student (modules "student" and "teacher", generators "dropout" and "teacherDropout").
import { EMA, type JsonObject, type NetworkConfig, SegmentationNetwork } from "../../nn/index.js";
import type { Generator, Tensor } from "../../tensor/index.js";
import type { StrategyEnv } from "../../training/index.js";

/** Segmentation logits of a network without the embedding and deep-supervision outputs. */
export const logitsOf = (net: SegmentationNetwork, x: Tensor): Tensor => net.forward(x, { embedding: false, deepSupervision: false }).logits;

export class StudentTeacher implements Disposable {
  readonly student: SegmentationNetwork;
  /** The EMA of the student: no gradient, not in parameters(). */
  readonly teacher: SegmentationNetwork;
  readonly #ema: EMA;
  readonly #dropout: Generator;
  readonly #teacherDropout: Generator;

  /** Both networks are the plan's network without deep supervision. */
  constructor(env: StrategyEnv, ema: { decay: number; warmup: boolean }) {
    const net: NetworkConfig = { ...env.network, deepSupervision: false };
    this.#dropout = env.generator("dropout");
    this.#teacherDropout = env.generator("teacher-dropout");
    this.student = new SegmentationNetwork(net, { generator: env.generator("init"), dropoutGenerator: this.#dropout });
    try {
      // The teacher's own init draws are overwritten at once by the student's weights.
      this.teacher = new SegmentationNetwork(net, { generator: env.generator("teacher-init"), dropoutGenerator: this.#teacherDropout });
      this.teacher.loadStateDict(this.student.stateDict(), { strict: true });
      this.teacher.setRequiresGrad(false);
    } catch (e) {
      this.student.dispose();
      throw e;
    }
    this.#ema = new EMA(this.teacher, ema);
  }

  modules() {
    return { student: this.student, teacher: this.teacher };
  }

  parameters(): Tensor[] {
    return this.student.parameters();
  }

  generators() {
    return { dropout: this.#dropout, teacherDropout: this.#teacherDropout };
  }

  /** EMA update of the teacher at EMA step `step`. */
  updateTeacher(step: number): void {
    this.#ema.update(this.student, step);
  }

  /** Makes the teacher an exact copy of the student. */
  copyStudentToTeacher(): void {
    this.teacher.loadStateDict(this.student.stateDict(), { strict: true });
  }

  /** The network that predicts. */
  network(which: "student" | "teacher"): SegmentationNetwork {
    return which === "teacher" ? this.teacher : this.student;
  }

  describe(predictWith: "student" | "teacher") {
    return { networks: { student: this.student.config as unknown as JsonObject, teacher: this.teacher.config as unknown as JsonObject }, predictWith: [predictWith] };
  }

  dispose(): void {
    this.student.dispose();
    this.teacher.dispose();
  }

  [Symbol.dispose](): void {
    this.dispose();
  }
}

/**
 * What mean-teacher and bcp share beyond the pair: the modules, parameters and generators of the
 * pair, prediction with the configured network, describe() and dispose(). Subclasses add the
 * step and the teacher update.
 */
export abstract class StudentTeacherStrategy {
  protected readonly pair: StudentTeacher;
  readonly #predictWith: "student" | "teacher";

  constructor(env: StrategyEnv, ema: { decay: number; warmup: boolean }, predictWith: "student" | "teacher") {
    this.pair = new StudentTeacher(env, ema);
    this.#predictWith = predictWith;
  }

  get student(): SegmentationNetwork {
    return this.pair.student;
  }

  /** The EMA of the student: no gradient, not in parameters(). */
  get teacher(): SegmentationNetwork {
    return this.pair.teacher;
  }

  modules() {
    return this.pair.modules();
  }

  parameters(): Tensor[] {
    return this.pair.parameters();
  }

  generators() {
    return this.pair.generators();
  }

  predict(image: Tensor): Tensor {
    return logitsOf(this.pair.network(this.#predictWith), image);
  }

  describe() {
    return this.pair.describe(this.#predictWith);
  }

  dispose(): void {
    this.pair.dispose();
  }

  [Symbol.dispose](): void {
    this.dispose();
  }
}
