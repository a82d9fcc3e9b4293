// The training loop shared by every strategy. Per iteration: take the next batch, run the
// strategy's step inside a scope (batch tensors, forward, loss, backward, gradient clipping,
// optimizer step, after-step hook), and report. Per epoch: validate, checkpoint. It stops cleanly
// when its AbortSignal fires (Ctrl-C), saving a checkpoint at the next iteration boundary, and
// resumes exactly from any checkpoint: batches are a function of their index, and every
// generator, the optimizer and the schedule position are restored.
import { mkdirSync } from "node:fs";
import path from "node:path";
import { type JsonObject, type LrSchedule, clipGradNorm } from "../nn/index.js";
import { type HostBatch, Rng, mixSeed } from "../data/index.js";
import { type Generator, type Tensor, memory, noGrad, tidy } from "../tensor/index.js";
import { toTensorBatch } from "./batch.js";
import { type CheckpointKind, type TrainerState, saveCheckpoint } from "./checkpoint.js";
import type { DiceByClass, TrainingEvent, TrainingReporter } from "./events.js";
import { appendMetrics } from "./metrics-log.js";
import type { OptimizerLike, StepContext, Strategy } from "./strategy.js";
import type { ValidationResult } from "./validation.js";

/** Where batches come from (a BatchLoader, or anything handing out batches in index order). */
export interface BatchSource {
  next(): Promise<HostBatch>;
}

/** Validation the trainer runs (modules are put in eval mode and gradients off around it). */
export interface TrainerValidation {
  /** Every this many epochs (and after the last). */
  every: number;
  /** Foreground class names, in class order (1 .. K−1). */
  classNames: readonly string[];
  run(): ValidationResult | Promise<ValidationResult>;
}

export interface TrainerOptions {
  strategy: Strategy;
  optimizer: OptimizerLike;
  /** Learning rate as a function of the iteration. */
  schedule: LrSchedule;
  batches: BatchSource;
  epochs: number;
  iterationsPerEpoch: number;
  runDir: string;
  /** Run metadata stored in every checkpoint (config, plan, versions). */
  run: JsonObject;
  seed: number;
  /** The generator handed to steps (ctx.generator); saved in checkpoints as "trainer". */
  generator: Generator;
  /** Clip the global gradient norm to this (nnU-Net: 12); null turns clipping off. @default 12 */
  clipGradNorm?: number | null;
  validation?: TrainerValidation | null;
  /** Also checkpoint every this many iterations (besides every epoch end). @default none */
  checkpointEvery?: number | null;
  reporters?: readonly TrainingReporter[];
  /** Stop at the next iteration boundary with a checkpoint when this aborts. */
  signal?: AbortSignal;
  /** Assert after every step that no tensor leaked (live count back to its baseline). @default false */
  debug?: boolean;
}

export interface TrainingResult {
  status: "completed" | "interrupted";
  state: TrainerState;
}

/** A step leaked native tensors (debug mode). */
export class TensorLeakError extends Error {
  override readonly name = "TensorLeakError";
}

const num = (v: Tensor | number) => (typeof v === "number" ? v : v.item());

/**
 * Runs training to the end (or until interrupted).
 * @example
 * const result = await new Trainer({ strategy, optimizer, schedule, batches: loader, epochs: 10, iterationsPerEpoch: 250, runDir, run: {}, seed: 1, generator }).run();
 */
export class Trainer {
  readonly #o: TrainerOptions;

  constructor(opts: TrainerOptions) {
    if (!(opts.epochs >= 1 && Number.isInteger(opts.epochs))) throw new RangeError(`Trainer: epochs must be a positive integer. Received: ${opts.epochs}`);
    if (!(opts.iterationsPerEpoch >= 1 && Number.isInteger(opts.iterationsPerEpoch))) throw new RangeError(`Trainer: iterationsPerEpoch must be a positive integer. Received: ${opts.iterationsPerEpoch}`);
    this.#o = opts;
  }

  get totalIterations(): number {
    return this.#o.epochs * this.#o.iterationsPerEpoch;
  }

  #emit(e: TrainingEvent, toFile = e.event !== "iteration"): void {
    for (const r of this.#o.reporters ?? []) r.onEvent(e);
    if (toFile) appendMetrics(path.join(this.#o.runDir, "metrics.jsonl"), e);
  }

  #generators(): Record<string, Generator> {
    return { trainer: this.#o.generator, ...Object.fromEntries(Object.entries(this.#o.strategy.generators()).map(([k, g]) => [`strategy.${k}`, g])) };
  }

  #setTraining(on: boolean): void {
    for (const m of Object.values(this.#o.strategy.modules())) m.train(on);
  }

  async #checkpoint(kinds: CheckpointKind[], state: TrainerState, started: number): Promise<string> {
    const snapshot = { ...state, elapsedSeconds: state.elapsedSeconds + (performance.now() - started) / 1000 };
    const file = await saveCheckpoint(this.#o.runDir, kinds, { strategy: this.#o.strategy, optimizer: this.#o.optimizer, generators: this.#generators(), state: snapshot, run: this.#o.run });
    this.#emit({ event: "checkpoint", kinds, iteration: state.iteration, file });
    return file;
  }

  /** One optimizer step inside a scope; returns the loss and logged scalars as numbers. */
  #step(host: HostBatch, ctx: StepContext): { loss: number; logs: Record<string, number> } {
    const { strategy, optimizer } = this.#o;
    const out = tidy(() => {
      const batch = toTensorBatch(host);
      optimizer.zeroGrad();
      const { loss, logs } = strategy.trainStep(batch, ctx);
      loss.backward();
      const max = this.#o.clipGradNorm === undefined ? 12 : this.#o.clipGradNorm;
      const gradNorm = max === null ? null : clipGradNorm(strategy.parameters(), max);
      optimizer.step();
      const values: Record<string, number> = {};
      for (const [k, v] of Object.entries(logs ?? {})) values[k] = num(v);
      if (gradNorm !== null) values.gradNorm = gradNorm;
      return { loss: loss.item(), logs: values };
    });
    optimizer.zeroGrad(); // gradients are not needed between steps; free them now
    if (strategy.afterOptimizerStep) noGrad(() => tidy(() => strategy.afterOptimizerStep!(ctx)));
    return out;
  }

  async #validate(epoch: number, state: TrainerState): Promise<boolean> {
    const v = this.#o.validation;
    if (!v) return false;
    const t0 = performance.now();
    this.#setTraining(false);
    let r: ValidationResult;
    try {
      r = await v.run();
    } finally {
      this.#setTraining(true);
    }
    const dice: Record<string, number | null> = {};
    v.classNames.forEach((name, k) => (dice[name] = r.meanPerClass[k] ?? null));
    const improved = r.mean !== null && (state.best === null || r.mean > state.best.value);
    if (improved) state.best = { metric: "meanDice", value: r.mean!, iteration: state.iteration };
    this.#emit({ event: "validation", epoch, iteration: state.iteration, cases: r.cases.length, dice: dice as DiceByClass, meanDice: r.mean, best: improved, seconds: (performance.now() - t0) / 1000 });
    return improved;
  }

  /**
   * Trains from `initial` (a restored checkpoint's trainer state; the loader must start at its
   * samplerPosition) or from scratch.
   * @throws TensorLeakError (debug), an Error on a non-finite loss, and whatever the loader throws
   */
  async run(initial?: TrainerState): Promise<TrainingResult> {
    const o = this.#o;
    const total = this.totalIterations;
    const fresh = () => ({ loss: 0, count: 0, logs: {} as Record<string, number>, seconds: 0 });
    const state: TrainerState = initial
      ? { ...initial, best: initial.best ? { ...initial.best } : null, epochSums: initial.epochSums ? { ...initial.epochSums, logs: { ...initial.epochSums.logs } } : fresh() }
      : { iteration: 0, samplerPosition: 0, best: null, elapsedSeconds: 0, epochSums: fresh() };
    const started = performance.now();
    mkdirSync(o.runDir, { recursive: true });
    this.#emit({ event: "start", runDir: o.runDir, iteration: state.iteration, totalIterations: total, iterationsPerEpoch: o.iterationsPerEpoch, epochs: o.epochs, resumed: initial !== undefined, seed: o.seed });
    this.#setTraining(true);
    let baseline: number | null = null;
    try {
      while (state.iteration < total) {
        // Let macrotasks run between steps: with prefetched batches, `await batches.next()` resolves
        // through microtasks only, and signal handlers (Ctrl-C), IPC messages (a job's cancel) and
        // timers would otherwise wait until training ends.
        await new Promise<void>((resolve) => setImmediate(resolve));
        if (o.signal?.aborted) {
          const file = await this.#checkpoint(["latest"], state, started);
          this.#emit({ event: "interrupted", iteration: state.iteration, file });
          return { status: "interrupted", state };
        }
        const t0 = performance.now();
        const host = await o.batches.next();
        const waited = (performance.now() - t0) / 1000;
        if (host.index !== state.samplerPosition) throw new Error(`Trainer: expected batch ${state.samplerPosition}, the loader gave batch ${host.index} (was it started at the checkpoint's sampler position?)`);
        const epoch = Math.floor(state.iteration / o.iterationsPerEpoch);
        const lr = o.schedule(state.iteration);
        o.optimizer.lr = lr;
        const ctx: StepContext = {
          iteration: state.iteration,
          epoch,
          iterationInEpoch: state.iteration % o.iterationsPerEpoch,
          iterationsPerEpoch: o.iterationsPerEpoch,
          totalIterations: total,
          lr,
          generator: o.generator,
          rng: new Rng(mixSeed(o.seed, "step", state.iteration)),
        };
        const { loss, logs } = this.#step(host, ctx);
        if (!Number.isFinite(loss)) throw new Error(`Training diverged: the loss is ${loss} at iteration ${state.iteration} (lower the learning rate, check the data with \`labelwise check\`, or resume from an earlier checkpoint)`);
        if (o.debug) {
          const live = memory().liveTensors;
          if (baseline === null) baseline = live; // the first step creates the optimizer's state
          else if (live !== baseline) throw new TensorLeakError(`Iteration ${state.iteration} leaked ${live - baseline} native tensor(s) (live ${live}, baseline ${baseline})`);
        }
        state.iteration++;
        state.samplerPosition++;
        const seconds = (performance.now() - t0) / 1000;
        const sums = (state.epochSums ??= fresh());
        sums.loss += loss;
        sums.count++;
        sums.seconds += seconds;
        for (const [k, v] of Object.entries(logs)) sums.logs[k] = (sums.logs[k] ?? 0) + v;
        this.#emit({ event: "iteration", iteration: state.iteration - 1, epoch, loss, lr, logs, seconds, dataWaitSeconds: waited });

        const epochDone = state.iteration % o.iterationsPerEpoch === 0;
        const kinds: CheckpointKind[] = [];
        if (epochDone) {
          const sums = state.epochSums ?? fresh();
          const means = Object.fromEntries(Object.entries(sums.logs).map(([k, v]) => [k, v / sums.count]));
          this.#emit({ event: "epoch", epoch, iteration: state.iteration, meanLoss: sums.loss / sums.count, lr, seconds: sums.seconds, logs: means });
          state.epochSums = fresh();
          const last = state.iteration === total;
          if (o.validation && ((epoch + 1) % o.validation.every === 0 || last) && (await this.#validate(epoch, state))) kinds.push("best");
          kinds.push("latest");
          if (last) kinds.push("final");
        } else if (o.checkpointEvery && state.iteration % o.checkpointEvery === 0) kinds.push("latest");
        if (kinds.length) await this.#checkpoint(kinds, state, started);
      }
      this.#emit({ event: "end", iteration: state.iteration, seconds: state.elapsedSeconds + (performance.now() - started) / 1000, best: state.best });
      return { status: "completed", state };
    } finally {
      for (const r of o.reporters ?? []) r.close?.();
    }
  }
}
