// Learning-rate schedules as pure functions of the step (or epoch): lr = schedule(step). Being
// stateless, they resume exactly from a checkpoint that stores only the step count.

/** Maps a step (or epoch) count, from 0, to a learning rate. */
export type LrSchedule = (step: number) => number;

function check(cond: boolean, msg: () => string): void {
  if (!cond) throw new RangeError(msg());
}

function checkStep(step: number): void {
  check(step >= 0, () => `Schedule step must be >= 0. Received: ${step}`);
}

/** Always `lr`. */
export function constantLr(lr: number): LrSchedule {
  return (step) => (checkStep(step), lr);
}

export interface PolyLrOptions {
  lr: number;
  /** The step at which the lr reaches 0 (and stays). */
  maxSteps: number;
  /** @default 0.9 (nnU-Net) */
  exponent?: number;
}

/**
 * nnU-Net's polynomial decay: lr·(1 - step/maxSteps)^exponent, 0 from maxSteps on.
 * @example const schedule = polyLr({ lr: 1e-2, maxSteps: 1000 }); optimizer.lr = schedule(epoch);
 */
export function polyLr(opts: PolyLrOptions): LrSchedule {
  const { lr, maxSteps, exponent = 0.9 } = opts;
  check(maxSteps > 0, () => `polyLr maxSteps must be > 0. Received: ${maxSteps}`);
  return (step) => {
    checkStep(step);
    return lr * (1 - Math.min(step, maxSteps) / maxSteps) ** exponent;
  };
}

export interface StepLrOptions {
  lr: number;
  /** Multiply by gamma every stepSize steps. */
  stepSize: number;
  /** @default 0.1 */
  gamma?: number;
}

/** lr·gamma^floor(step/stepSize) (torch's StepLR). */
export function stepLr(opts: StepLrOptions): LrSchedule {
  const { lr, stepSize, gamma = 0.1 } = opts;
  check(stepSize > 0, () => `stepLr stepSize must be > 0. Received: ${stepSize}`);
  return (step) => {
    checkStep(step);
    return lr * gamma ** Math.floor(step / stepSize);
  };
}

export interface MultiStepLrOptions {
  lr: number;
  /** Steps at which the lr is multiplied by gamma. */
  milestones: readonly number[];
  /** @default 0.1 */
  gamma?: number;
}

/** lr·gamma^(number of milestones <= step) (torch's MultiStepLR). */
export function multiStepLr(opts: MultiStepLrOptions): LrSchedule {
  const { lr, milestones, gamma = 0.1 } = opts;
  return (step) => {
    checkStep(step);
    return lr * gamma ** milestones.filter((m) => m <= step).length;
  };
}

export interface CosineLrOptions {
  lr: number;
  /** Steps of one half cosine; the lr stays at minLr afterwards. */
  maxSteps: number;
  /** @default 0 */
  minLr?: number;
}

/** minLr + (lr - minLr)·(1 + cos(π·step/maxSteps))/2, then minLr (torch's CosineAnnealingLR closed form). - Paper: arXiv:1608.03983 */
export function cosineLr(opts: CosineLrOptions): LrSchedule {
  const { lr, maxSteps, minLr = 0 } = opts;
  check(maxSteps > 0, () => `cosineLr maxSteps must be > 0. Received: ${maxSteps}`);
  return (step) => {
    checkStep(step);
    return minLr + ((lr - minLr) * (1 + Math.cos((Math.PI * Math.min(step, maxSteps)) / maxSteps))) / 2;
  };
}

export interface WarmupOptions {
  /** Length of the linear ramp. */
  steps: number;
  /** Fraction of the target lr at step 0. @default 0 */
  startFactor?: number;
}

/**
 * Prepends a linear warm-up to `schedule`: for step < steps the lr ramps from
 * startFactor·schedule(0) towards schedule(0); afterwards it is schedule(step - steps), so the
 * wrapped schedule starts its own count when the warm-up ends (torch's LinearLR + SequentialLR).
 * @example const schedule = withWarmup(cosineLr({ lr: 1e-3, maxSteps: 950 }), { steps: 50 });
 */
export function withWarmup(schedule: LrSchedule, opts: WarmupOptions): LrSchedule {
  const { steps, startFactor = 0 } = opts;
  check(steps >= 0, () => `withWarmup steps must be >= 0. Received: ${steps}`);
  check(startFactor >= 0 && startFactor <= 1, () => `withWarmup startFactor must be in [0, 1]. Received: ${startFactor}`);
  return (step) => {
    checkStep(step);
    if (step >= steps) return schedule(step - steps);
    return schedule(0) * (startFactor + ((1 - startFactor) * step) / steps);
  };
}
