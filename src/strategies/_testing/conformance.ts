// The strategy conformance suite: the checks every training strategy must pass, run through the
// real Trainer on tiny in-memory sphere cases, so a new strategy gets them with one call.
//
// API (stable; other strategies' tests depend on it):
//
//   strategyConformance(name, {
//     factory,            // the registered factory (cfg, env) => Strategy
//     config,             // a parsed config (schema.parse({...})) sized for tiny runs
//     network?,           // NetworkConfig overrides over the tiny U-Net (2 levels, 4 base filters)
//     classes?,           // classes of the training checks (default 2); the multi-class check uses 3
//     steps?,             // iterations of the learning check (default 16)
//     lr?,                // Adam learning rate (default 1e-2)
//     lossRatio?,         // mean loss of the last quarter < lossRatio × the first quarter's (default 0.9)
//     lossFrom?,          // compare losses from this iteration on (a staged strategy's last stage; default 0)
//     evalRatio?,         // CE of predict() on fixed labelled patches after < evalRatio × before (default 0.8; null skips)
//     patchSize?,         // (x, y, z), default [16, 16, 8]
//     batchSize?,         // env.batchSize (default 2)
//   });
//
// registers, inside describe(`${name} conformance`), node:test tests for: (a) learning — the loss
// falls and predict() gets better on fixed labelled patches; (b) no tensor leak in any step (the
// trainer's debug mode) and nothing left after dispose; (c) same seed → identical losses and
// parameters (a draw from libtorch's default generator, which is neither seeded per run nor
// checkpointed, fails this: the two runs share the process); (d) checkpoint round trip and exact
// resume (interrupted mid-epoch, restored into a fresh strategy, continued → identical losses and
// every module identical to an uninterrupted run); (e) 3 classes train and predict() gives
// (N, 3, D, H, W) for any valid size; labelled patches with the dataset's ignore label train (the
// strategy passes env.ignoreLabel to its losses); (f) describe().predictWith names modules whose `networks`
// entry rebuilds them for inference, and their averaged softmax equals softmax(predict()); plus the
// contract (parameters are distinct, trainable and belong to modules; name equals config.kind).
//
// Data: every stream the strategy's `composition` asks for is filled from conformanceCases():
// labelled spheres, unlabelled scans with no label map at all, and box scans (boxes, no label map).
//
// Lower-level helpers for a strategy's own tests: conformanceEnv, conformanceCases,
// conformanceBatches, tinyRun, trainTiny, runGenerators, stepContext, hostBatch, moduleSnapshot.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, test } from "node:test";
import { type BatchComposition, type HostBatch, type PreprocessedCase, Rng, buildBatch, noAugmentation, sampleClassLocations } from "../../data/index.js";
import { sphereCase } from "../../data/_testing/pipeline-fixtures.js";
import { networkPredictor } from "../../inference/index.js";
import { crossEntropyLoss } from "../../losses/index.js";
import { Adam, type NetworkConfig, SegmentationNetwork, constantLr, unetConfig } from "../../nn/index.js";
import { type Generator, all, isfinite, memory, noGrad, setNumThreads, softmax, stack, streamGenerator, tensor, tidy } from "../../tensor/index.js";
import {
  type BatchSource,
  type StepContext,
  type Strategy,
  type StrategyEnv,
  type StrategyFactory,
  type TrainerState,
  type TrainingEvent,
  Trainer,
  loadCheckpoint,
  restoreCheckpoint,
  toTensorBatch,
} from "../../training/index.js";

/** Options of {@link strategyConformance}. */
export interface ConformanceOptions<C> {
  /** The strategy's factory, as registered in src/experiment/registry.ts. */
  factory: StrategyFactory<C>;
  /** A validated config (parse it with the strategy's schema), sized for tiny runs (short ramp-ups, stages). */
  config: C;
  /** Overrides over the tiny U-Net (e.g. { contrastiveHead: { dim: 8 } }, several decoders, dropout). */
  network?: NetworkConfig;
  /** Classes of the learning, determinism and resume checks. @default 2 */
  classes?: number;
  /** Iterations of the learning check (4 per epoch). @default 16 */
  steps?: number;
  /** Adam's learning rate. @default 1e-2 */
  lr?: number;
  /** The mean loss of the last quarter of steps must be below lossRatio × the first quarter's. @default 0.9 */
  lossRatio?: number;
  /**
   * Compare the losses of iterations lossFrom .. steps − 1 only: for a strategy whose loss changes
   * definition at a stage switch (e.g. BCP's pre-training → self-training). @default 0
   */
  lossFrom?: number;
  /** Cross-entropy of predict() on fixed labelled patches after training < evalRatio × before; null skips. @default 0.8 */
  evalRatio?: number | null;
  /** Patch size (x, y, z). @default [16, 16, 8] */
  patchSize?: readonly [number, number, number];
  /** Samples per stream when the strategy uses the plan's batch size. @default 2 */
  batchSize?: number;
}

export const CONFORMANCE_SEED = 23;
const ITERATIONS_PER_EPOCH = 4;

/** Label values ≥ classes become background, and their image contribution goes with them. */
function restrictClasses(pc: PreprocessedCase, classes: number): PreprocessedCase {
  if (!pc.label || classes >= 3) return pc;
  const label = Uint8Array.from(pc.label);
  const image = Float32Array.from(pc.image);
  const n = label.length;
  for (let i = 0; i < n; i++) {
    const v = label[i]!;
    if (v < classes) continue;
    label[i] = 0;
    for (let c = 0; c < pc.channels; c++) image[c * n + i]! -= v; // sphereCase's image is label + texture
  }
  return { ...pc, label, image, classLocations: sampleClassLocations(label, 10000, new Rng(1), null) };
}

/** Without its label map (an images-only case, as nnU-Net's unlabelled scans). */
function imageOnly(pc: PreprocessedCase): PreprocessedCase {
  return { ...pc, label: null, classLocations: new Map() };
}

/** The last two rows (y) of a labelled case become the ignore label (they hold no sphere or cube). */
function withIgnoredRows(pc: PreprocessedCase, ignoreLabel: number): PreprocessedCase {
  const [nx, ny, nz] = pc.shape;
  const label = Uint8Array.from(pc.label!);
  for (let z = 0; z < nz; z++) for (let y = ny - 2; y < ny; y++) label.fill(ignoreLabel, nx * (y + ny * z), nx * (y + ny * z) + nx);
  return { ...pc, label, classLocations: sampleClassLocations(label, 10000, new Rng(1), ignoreLabel) };
}

/**
 * The suite's cases per stream: labelled spheres (with a label-2 cube in a corner when classes
 * ≥ 3; with `ignoreLabel`, two rows of each carry it), unlabelled scans with no label map at all,
 * and box-annotated scans (a box around the sphere, and around the cube with 3 classes) with no
 * label map either.
 */
export function conformanceCases(classes = 2, o: { ignoreLabel?: number | null } = {}): Record<"labelled" | "unlabelled" | "boxes", Record<string, PreprocessedCase>> {
  const ignore = o.ignoreLabel ?? null;
  const sphere = (id: string, shape: [number, number, number], centre: [number, number, number], radius: number) =>
    restrictClasses(sphereCase(id, { shape, centre, radius, image: "textured" }), classes);
  const labelled = (id: string, shape: [number, number, number], centre: [number, number, number], radius: number) => {
    const pc = sphere(id, shape, centre, radius);
    return ignore === null ? pc : withIgnoredRows(pc, ignore);
  };
  const boxed = (id: string, shape: [number, number, number], centre: [number, number, number], radius: number) => {
    const pc = sphere(id, shape, centre, radius);
    const boxes = [{ label: "sphere", value: 1, min: centre.map((c) => c - radius) as [number, number, number], max: centre.map((c) => c + radius + 1) as [number, number, number] }];
    if (classes >= 3) boxes.push({ label: "cube", value: 2, min: [0, 0, 0], max: [3, 3, 3] });
    return { ...imageOnly(pc), boxes };
  };
  return {
    labelled: {
      l1: labelled("l1", [24, 20, 16], [12, 10, 8], 4),
      l2: labelled("l2", [20, 24, 12], [8, 12, 6], 4),
      l3: labelled("l3", [22, 22, 14], [13, 9, 7], 5),
    },
    unlabelled: {
      u1: imageOnly(sphere("u1", [24, 20, 16], [10, 11, 7], 5)),
      u2: imageOnly(sphere("u2", [20, 22, 12], [9, 10, 6], 4)),
    },
    boxes: {
      x1: boxed("x1", [24, 20, 16], [11, 9, 8], 4),
      x2: boxed("x2", [22, 20, 14], [10, 10, 7], 5),
    },
  };
}

/** The StrategyEnv of the suite: a tiny U-Net (2 levels, 4 base filters) and seeded generators. */
export function conformanceEnv(
  classes: number,
  totalIterations: number,
  o: { network?: NetworkConfig; batchSize?: number; seed?: number; patchSize?: readonly [number, number, number]; ignoreLabel?: number | null } = {},
): StrategyEnv {
  const seed = o.seed ?? CONFORMANCE_SEED;
  const [px, py, pz] = o.patchSize ?? [16, 16, 8]; // (x, y, z), as the sampler; the env holds (D, H, W)
  return {
    network: unetConfig({ inChannels: 1, numClasses: classes, levels: 2, baseFilters: 4, strides: [[1, 1, 1], [2, 2, 2]], ...o.network }),
    numClasses: classes,
    inChannels: 1,
    ignoreLabel: o.ignoreLabel ?? null,
    batchSize: o.batchSize ?? 2,
    patchSize: [pz, py, px],
    totalIterations,
    iterationsPerEpoch: ITERATIONS_PER_EPOCH,
    generator: (s) => streamGenerator(seed, s),
  };
}

function samplerFor(composition: BatchComposition, classes: number, patchSize: readonly [number, number, number], seed: number, ignoreLabel: number | null) {
  const cases = conformanceCases(classes, { ignoreLabel });
  const byId: Record<string, PreprocessedCase> = { ...cases.labelled, ...cases.unlabelled, ...cases.boxes };
  const cfg = {
    seed,
    patchSize,
    spacing: [1, 1, 1] as const,
    channels: 1,
    numClasses: classes,
    maxLabelValue: Math.max(classes - 1, ignoreLabel ?? 0),
    composition,
    cases: { labelled: Object.keys(cases.labelled), unlabelled: Object.keys(cases.unlabelled), boxes: Object.keys(cases.boxes) },
    foregroundOversampling: 0.5,
    augmentation: noAugmentation(),
  };
  return { cfg, get: (id: string) => byId[id]! };
}

/** Batch `index` of the suite's sequence for this composition (a pure function of its arguments). */
export function hostBatch(composition: BatchComposition, index: number, classes = 2, patchSize: readonly [number, number, number] = [16, 16, 8], seed = CONFORMANCE_SEED, ignoreLabel: number | null = null): HostBatch {
  const s = samplerFor(composition, classes, patchSize, seed, ignoreLabel);
  return buildBatch(s.cfg, index, s.get);
}

/** Batches in index order from `start` (what the trainer's loader would give). */
export function conformanceBatches(
  composition: BatchComposition,
  classes = 2,
  start = 0,
  patchSize: readonly [number, number, number] = [16, 16, 8],
  seed = CONFORMANCE_SEED,
  ignoreLabel: number | null = null,
): BatchSource {
  const s = samplerFor(composition, classes, patchSize, seed, ignoreLabel);
  let position = start;
  return { next: async () => buildBatch(s.cfg, position++, s.get) };
}

/** A StepContext for calling trainStep directly (the trainer builds the same one). */
export function stepContext(iteration: number, totalIterations: number, generator: Generator = streamGenerator(CONFORMANCE_SEED, "trainer")): StepContext {
  return {
    iteration,
    epoch: Math.floor(iteration / ITERATIONS_PER_EPOCH),
    iterationInEpoch: iteration % ITERATIONS_PER_EPOCH,
    iterationsPerEpoch: ITERATIONS_PER_EPOCH,
    totalIterations,
    lr: 1e-2,
    generator,
    rng: new Rng(iteration + 1),
  };
}

/** A strategy, its Adam optimizer and the trainer's generator, built as `labelwise train` does. */
export interface TinyRun {
  strategy: Strategy;
  optimizer: Adam;
  generator: Generator;
  env: StrategyEnv;
  classes: number;
  dispose(): void;
}

export function tinyRun<C>(o: ConformanceOptions<C>, classes: number, totalIterations: number, ignoreLabel: number | null = null): TinyRun {
  const env = conformanceEnv(classes, totalIterations, {
    ...(o.network ? { network: o.network } : {}),
    ...(o.batchSize ? { batchSize: o.batchSize } : {}),
    ...(o.patchSize ? { patchSize: o.patchSize } : {}),
    ignoreLabel,
  });
  const strategy = o.factory(o.config, env);
  const optimizer = new Adam(strategy.parameters(), { lr: o.lr ?? 1e-2 });
  return {
    strategy,
    optimizer,
    generator: streamGenerator(CONFORMANCE_SEED, "trainer"),
    env,
    classes,
    dispose() {
      optimizer.dispose();
      strategy.dispose();
    },
  };
}

/** The trainer's and the strategy's generators under their checkpoint names. */
export function runGenerators(run: TinyRun): Record<string, Generator> {
  return { trainer: run.generator, ...Object.fromEntries(Object.entries(run.strategy.generators()).map(([k, g]) => [`strategy.${k}`, g])) };
}

export interface TrainTinyOptions {
  runDir: string;
  /** Resume from this trainer state (batches start at its samplerPosition). */
  from?: TrainerState;
  /** Abort after the iteration with this index (a checkpoint is written at the next boundary). */
  stopAfter?: number;
  debug?: boolean;
  lr?: number;
  patchSize?: readonly [number, number, number];
}

/** Trains `run` through the real Trainer (constant LR, 4 iterations per epoch); returns the per-iteration losses. */
export async function trainTiny(run: TinyRun, o: TrainTinyOptions): Promise<{ status: string; state: TrainerState; losses: number[] }> {
  const losses: number[] = [];
  const controller = new AbortController();
  const total = run.env.totalIterations;
  if (total % ITERATIONS_PER_EPOCH !== 0) throw new RangeError(`trainTiny: totalIterations must be a multiple of ${ITERATIONS_PER_EPOCH}. Received: ${total}`);
  const trainer = new Trainer({
    strategy: run.strategy,
    optimizer: run.optimizer,
    generator: run.generator,
    schedule: constantLr(o.lr ?? 1e-2),
    batches: conformanceBatches(run.strategy.composition, run.classes, o.from?.samplerPosition ?? 0, o.patchSize, CONFORMANCE_SEED, run.env.ignoreLabel),
    epochs: total / ITERATIONS_PER_EPOCH,
    iterationsPerEpoch: ITERATIONS_PER_EPOCH,
    runDir: o.runDir,
    run: { conformance: true },
    seed: CONFORMANCE_SEED,
    debug: o.debug ?? false,
    signal: controller.signal,
    reporters: [
      {
        onEvent: (e: TrainingEvent) => {
          if (e.event !== "iteration") return;
          losses.push(e.loss);
          if (o.stopAfter !== undefined && e.iteration === o.stopAfter) controller.abort();
        },
      },
    ],
  });
  const r = await trainer.run(o.from);
  return { ...r, losses };
}

/** Host copies of every module's parameters and buffers, keyed "module/name". */
export function moduleSnapshot(strategy: Strategy): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const [name, m] of Object.entries(strategy.modules())) {
    for (const [k, t] of m.stateDict()) out.set(`${name}/${k}`, Array.from(t.dataSync() as ArrayLike<number | bigint>, Number));
  }
  return out;
}

function assertSameSnapshot(actual: Map<string, number[]>, expected: Map<string, number[]>, what: string): void {
  assert.deepEqual([...actual.keys()].sort(), [...expected.keys()].sort(), `${what}: the modules' tensor names differ`);
  for (const [k, v] of expected) assert.deepEqual(actual.get(k), v, `${what}: ${k} differs`);
}

async function withDirs<T>(n: number, fn: (dirs: string[]) => Promise<T>): Promise<T> {
  const dirs: string[] = [];
  try {
    for (let i = 0; i < n; i++) dirs.push(await mkdtemp(path.join(tmpdir(), "labelwise-conformance-")));
    return await fn(dirs);
  } finally {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  }
}

/** Runs fn in eval mode and under noGrad, then restores training mode. */
function evaluating<T>(strategy: Strategy, fn: () => T): T {
  const modules = Object.values(strategy.modules());
  for (const m of modules) m.eval();
  try {
    return noGrad(() => tidy(fn));
  } finally {
    for (const m of modules) m.train();
  }
}

/** Mean cross-entropy of predict() on fixed labelled patches (the same for every call). */
function heldOutCrossEntropy(strategy: Strategy, classes: number, patchSize: readonly [number, number, number]): number {
  const host = hostBatch({ labelled: 4, unlabelled: 0, boxes: 0 }, 100_000, classes, patchSize);
  return evaluating(strategy, () => {
    const b = toTensorBatch(host).labelled!;
    return crossEntropyLoss(strategy.predict(b.image), b.label).item();
  });
}

const mean = (a: readonly number[]) => a.reduce((x, y) => x + y, 0) / a.length;

/**
 * Registers the conformance tests of one strategy (see the file header).
 * @example strategyConformance("mean-teacher", { factory: createMeanTeacherStrategy, config: MeanTeacherConfigSchema.parse({ kind: "mean-teacher", rampupIterations: 4 }) });
 */
export function strategyConformance<C>(name: string, o: ConformanceOptions<C>): void {
  // One libtorch thread: fast for tiny networks on a shared machine, and the same reductions in
  // every run (determinism across runs needs a fixed thread count).
  setNumThreads(1);
  const classes = o.classes ?? 2;
  const patch = o.patchSize ?? [16, 16, 8];
  const steps = o.steps ?? 16;
  if (steps % ITERATIONS_PER_EPOCH !== 0 || steps < 8) throw new RangeError(`strategyConformance(${name}): steps must be a multiple of ${ITERATIONS_PER_EPOCH}, at least 8. Received: ${steps}`);
  const lossFrom = o.lossFrom ?? 0;
  if (!Number.isInteger(lossFrom) || lossFrom < 0 || steps - lossFrom < 8) throw new RangeError(`strategyConformance(${name}): lossFrom must be an integer in [0, steps − 8]. Received: ${lossFrom} with steps ${steps}`);
  const train = (run: TinyRun, t: TrainTinyOptions) => trainTiny(run, { ...(o.lr ? { lr: o.lr } : {}), patchSize: patch, ...t });

  describe(`${name} conformance`, () => {
    test("contract: name is config.kind; parameters are distinct, trainable module parameters; composition is usable", () => {
      const live = memory().liveTensors;
      const run = tinyRun(o, classes, 8);
      try {
        const s = run.strategy;
        const kind = (o.config as { kind?: unknown }).kind;
        if (kind !== undefined) assert.equal(s.name, kind, "strategy.name must equal its config kind (checkpoints record it)");
        const params = s.parameters();
        assert.ok(params.length > 0, "parameters() is empty");
        assert.equal(new Set(params).size, params.length, "parameters() lists a tensor twice (the optimizer would step it twice)");
        const owned = new Set(Object.values(s.modules()).flatMap((m) => m.parameters()));
        params.forEach((p, i) => {
          assert.ok(owned.has(p), `parameters()[${i}] belongs to no module in modules(): it would not be checkpointed`);
          assert.ok(p.requiresGrad, `parameters()[${i}] does not require grad`);
        });
        const c = s.composition;
        for (const k of ["labelled", "unlabelled", "boxes"] as const) assert.ok(Number.isInteger(c[k]) && c[k] >= 0, `composition.${k} must be a non-negative integer. Received: ${c[k]}`);
        assert.ok(c.labelled + c.unlabelled + c.boxes > 0, "composition asks for no samples");
        assert.ok(Object.keys(s.modules()).length > 0, "modules() is empty");
      } finally {
        run.dispose();
      }
      assert.equal(memory().liveTensors, live, "dispose() must free every tensor the strategy and its optimizer own");
    });

    test(`learns: the loss falls over ${steps} steps and predict() improves; no tensor leaks in any step (debug mode)`, async () => {
      const live = memory().liveTensors;
      await withDirs(1, async ([dir]) => {
        const run = tinyRun(o, classes, steps);
        try {
          const before = heldOutCrossEntropy(run.strategy, classes, patch);
          const r = await train(run, { runDir: dir!, debug: true });
          assert.equal(r.status, "completed");
          assert.equal(r.losses.length, steps);
          assert.ok(r.losses.every(Number.isFinite), `non-finite loss: ${r.losses.join(", ")}`);
          const compared = r.losses.slice(lossFrom);
          const q = Math.floor(compared.length / 4);
          const first = mean(compared.slice(0, q));
          const last = mean(compared.slice(-q));
          const ratio = o.lossRatio ?? 0.9;
          assert.ok(last < ratio * first, `the loss did not fall from iteration ${lossFrom} on: mean of the first ${q} steps ${first.toFixed(4)}, of the last ${q} ${last.toFixed(4)} (need < ${ratio} ×); losses ${r.losses.map((l) => l.toFixed(3)).join(" ")}`);
          const evalRatio = o.evalRatio === undefined ? 0.8 : o.evalRatio;
          if (evalRatio !== null) {
            const after = heldOutCrossEntropy(run.strategy, classes, patch);
            assert.ok(after < evalRatio * before, `predict() did not improve on fixed labelled patches: cross-entropy ${before.toFixed(4)} before, ${after.toFixed(4)} after (need < ${evalRatio} ×)`);
          }
        } finally {
          run.dispose();
        }
      });
      assert.equal(memory().liveTensors, live, "tensors left alive after training and dispose()");
    });

    test("same seed → identical losses and parameters", async () => {
      await withDirs(2, async ([d1, d2]) => {
        const a = tinyRun(o, classes, 8);
        const b = tinyRun(o, classes, 8);
        try {
          const ra = await train(a, { runDir: d1! });
          const rb = await train(b, { runDir: d2! });
          assert.deepEqual(rb.losses, ra.losses, "two runs with the same seed gave different losses (randomness outside ctx.generator / ctx.rng / env.generator?)");
          assertSameSnapshot(moduleSnapshot(b.strategy), moduleSnapshot(a.strategy), "same seed");
        } finally {
          a.dispose();
          b.dispose();
        }
      });
    });

    test("checkpoint round trip and exact resume: interrupted mid-epoch, restored into a fresh strategy, continued → identical to an uninterrupted run", async () => {
      await withDirs(2, async ([full, cut]) => {
        const a = tinyRun(o, classes, 8);
        const b = tinyRun(o, classes, 8);
        const c = tinyRun(o, classes, 8);
        const d = tinyRun(o, classes, 8);
        try {
          const ra = await train(a, { runDir: full! });
          const expected = moduleSnapshot(a.strategy);

          // Round trip: the final checkpoint restores every module exactly.
          const fin = (await loadCheckpoint(full!, "final"))!;
          try {
            for (const name of Object.keys(a.strategy.modules())) assert.ok([...fin.tensors.keys()].some((k) => k.startsWith(`module/${name}/`)), `the checkpoint has no tensors of module "${name}"`);
            restoreCheckpoint(fin, { strategy: d.strategy, optimizer: d.optimizer, generators: runGenerators(d) });
          } finally {
            fin.dispose();
          }
          assertSameSnapshot(moduleSnapshot(d.strategy), expected, "restored from the final checkpoint");

          // Resume: stop after iteration 4 (mid-epoch 1), restore into a fresh strategy, continue.
          const rb = await train(b, { runDir: cut!, stopAfter: 4 });
          assert.equal(rb.status, "interrupted");
          assert.equal(rb.state.iteration, 5);
          const ckpt = (await loadCheckpoint(cut!, "latest"))!;
          let state: TrainerState;
          try {
            assert.equal(ckpt.trainer.iteration, 5);
            restoreCheckpoint(ckpt, { strategy: c.strategy, optimizer: c.optimizer, generators: runGenerators(c) });
            state = ckpt.trainer;
          } finally {
            ckpt.dispose();
          }
          const rc = await train(c, { runDir: cut!, from: state });
          assert.equal(rc.status, "completed");
          assert.deepEqual([...rb.losses, ...rc.losses], ra.losses, "the resumed run's losses differ from the uninterrupted run's");
          assertSameSnapshot(moduleSnapshot(c.strategy), expected, "resumed");
        } finally {
          for (const r of [a, b, c, d]) r.dispose();
        }
      });
    });

    test("3 classes: trains without leaks, and predict() gives (N, 3, D, H, W) logits for any valid size", async () => {
      await withDirs(1, async ([dir]) => {
        const run = tinyRun(o, 3, 4);
        try {
          const before = moduleSnapshot(run.strategy);
          const r = await train(run, { runDir: dir!, debug: true });
          assert.ok(r.losses.every(Number.isFinite), `non-finite loss with 3 classes: ${r.losses.join(", ")}`);
          const after = moduleSnapshot(run.strategy);
          assert.ok([...after].some(([k, v]) => v.some((x, i) => x !== before.get(k)![i])), "no module changed in 4 steps with 3 classes");
          const [px, py, pz] = patch;
          for (const shape of [
            [2, 1, pz, py, px],
            [1, 1, 2 * pz, py, px],
          ]) {
            const out = evaluating(run.strategy, () => {
              const x = tensor(new Float32Array(shape.reduce((a, b) => a * b, 1)).map((_, i) => Math.sin(i)), shape);
              const logits = run.strategy.predict(x);
              return { shape: logits.shape, finite: Boolean(all(isfinite(logits)).item()) };
            });
            assert.deepEqual(out.shape, [shape[0], 3, ...shape.slice(2)]);
            assert.ok(out.finite, "predict() returned non-finite logits");
          }
          const live = memory().liveTensors;
          evaluating(run.strategy, () => void run.strategy.predict(tensor(new Float32Array(pz * py * px), [1, 1, pz, py, px])));
          assert.equal(memory().liveTensors, live, "predict() leaked tensors");
        } finally {
          run.dispose();
        }
      });
    });

    test("ignore label: labelled patches carrying the dataset's ignore label train without error or leak", async () => {
      const ignore = classes; // the first value past the classes, as nnU-Net's ignore label
      await withDirs(1, async ([dir]) => {
        const run = tinyRun(o, classes, 4, ignore);
        try {
          const composition = run.strategy.composition;
          if (composition.labelled > 0) {
            const met = [0, 1, 2, 3].some((i) => hostBatch(composition, i, classes, patch, CONFORMANCE_SEED, ignore).streams.labelled!.label!.includes(ignore));
            assert.ok(met, "the check's labelled patches never contain the ignore label (fixture problem)");
          }
          const r = await train(run, { runDir: dir!, debug: true });
          assert.ok(r.losses.every(Number.isFinite), `non-finite loss with an ignore label: ${r.losses.join(", ")}`);
        } finally {
          run.dispose();
        }
      });
    });

    test("describe(): predictWith names modules whose networks entry rebuilds them; their mean softmax equals softmax(predict())", async () => {
      await withDirs(1, async ([dir]) => {
        const run = tinyRun(o, classes, 4);
        const rebuilt: SegmentationNetwork[] = [];
        try {
          await train(run, { runDir: dir! });
          const s = run.strategy;
          const desc = s.describe();
          const modules = s.modules();
          assert.ok(desc.predictWith.length > 0, "describe().predictWith is empty");
          for (const n of desc.predictWith) {
            const m = modules[n];
            assert.ok(m, `predictWith names "${n}", which is not in modules() (${Object.keys(modules).join(", ")})`);
            const cfg = desc.networks[n];
            assert.ok(cfg, `describe().networks has no entry for predictWith module "${n}"`);
            const net = new SegmentationNetwork(cfg as NetworkConfig);
            rebuilt.push(net);
            net.loadStateDict(m.stateDict(), { strict: true });
            net.eval();
          }
          for (const n of Object.keys(desc.networks)) assert.ok(modules[n], `describe().networks names "${n}", which is not in modules()`);
          const host = hostBatch({ labelled: 2, unlabelled: 0, boxes: 0 }, 7, classes, patch);
          const diff = evaluating(s, () => {
            const x = toTensorBatch(host).labelled!.image;
            const ours = softmax(s.predict(x), 1);
            const inference = stack(rebuilt.map((net) => softmax(networkPredictor(net)(x), 1)), 0).mean(0);
            return ours.sub(inference).abs().max().item();
          });
          assert.ok(diff < 1e-5, `softmax(predict()) differs from the mean softmax of the rebuilt predictWith networks by ${diff}: inference from a checkpoint would not match predict()`);
        } finally {
          for (const n of rebuilt) n.dispose();
          run.dispose();
        }
      });
    });
  });
}
