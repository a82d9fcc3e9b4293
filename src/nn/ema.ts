// Exponential moving average of a student model's weights in a teacher model (mean teacher,
// model EMA). The update is a pure function of the step, so resuming from a checkpoint that
// stores the teacher's weights and the step reproduces the run exactly.
import { type Tensor, addInPlace, copyInPlace, mulInPlace, noGrad } from "../tensor/index.js";
import type { Module } from "./module.js";
import { StateDictError, diffStateDict } from "./state-dict.js";

export interface EMAOptions {
  /** Weight of the old teacher value, in [0, 1]. @default 0.99 */
  decay?: number;
  /**
   * Use min(decay, 1 - 1/(step+1)) so that early teachers are not dominated by the random
   * initialisation (step 0 copies the student). @default true
   */
  warmup?: boolean;
}

/** The decay used at `step`: min(decay, 1 - 1/(step+1)) with warm-up, else decay. */
export function emaDecay(decay: number, step: number, warmup = true): number {
  return warmup ? Math.min(decay, 1 - 1 / (step + 1)) : decay;
}

function pairs(teacher: ReadonlyMap<string, Tensor>, student: ReadonlyMap<string, Tensor>): [Tensor, Tensor][] {
  const { missing, unexpected, mismatched } = diffStateDict(teacher, student);
  if (missing.length || unexpected.length || mismatched.length) throw new StateDictError(missing, unexpected, mismatched, "EMA teacher");
  return [...teacher].map(([k, t]) => [t, student.get(k) as Tensor]);
}

/**
 * Keeps `teacher` = decay·teacher + (1-decay)·student for parameters and copies buffers (batch-norm
 * statistics). Teacher and student must share an architecture. - Paper: arXiv:1703.01780
 * @example const ema = new EMA(teacher, { decay: 0.99 }); ... optimizer.step(); ema.update(student, step);
 */
export class EMA {
  readonly decay: number;
  readonly warmup: boolean;

  constructor(
    readonly teacher: Module,
    opts: EMAOptions = {},
  ) {
    this.decay = opts.decay ?? 0.99;
    this.warmup = opts.warmup ?? true;
    if (!(this.decay >= 0 && this.decay <= 1)) throw new RangeError(`EMA decay must be in [0, 1]. Received: ${this.decay}`);
  }

  /**
   * Moves the teacher towards `student` for training step `step` (0-based); returns the decay used.
   * @throws StateDictError if the two models' parameters or buffers differ in names, shapes or dtypes.
   */
  update(student: Module, step: number): number {
    const d = emaDecay(this.decay, step, this.warmup);
    const params = pairs(this.teacher.namedParameters(), student.namedParameters());
    const buffers = pairs(this.teacher.namedBuffers(), student.namedBuffers());
    noGrad(() => {
      for (const [t, s] of params) {
        mulInPlace(t, d);
        addInPlace(t, s, 1 - d);
      }
      for (const [t, s] of buffers) copyInPlace(t, s);
    });
    return d;
  }
}
