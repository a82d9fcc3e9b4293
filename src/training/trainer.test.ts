import assert from "node:assert/strict";
import { readdir, readFile, rm } from "node:fs/promises";
import path from "node:path";
import { test } from "node:test";
import { constantLr } from "../nn/index.js";
import { type Tensor, keep, memory, setNumThreads, zeros } from "../tensor/index.js";

// One libtorch thread: faster for these tiny networks on a busy 2-core machine, and the same
// thread count in every run keeps float reductions identical.
setNumThreads(1);
import { batchSource, SEED, tempRunDir, tinySetup } from "./_testing/setup.js";
import { type TrainingEvent, Trainer, TensorLeakError, loadCheckpoint, restoreCheckpoint } from "./index.js";

function trainer(runDir: string, setup: ReturnType<typeof tinySetup>, start = 0, extra: Partial<ConstructorParameters<typeof Trainer>[0]> = {}) {
  return new Trainer({
    ...setup,
    schedule: constantLr(3e-3),
    batches: batchSource(start),
    epochs: 3,
    iterationsPerEpoch: 4,
    runDir,
    run: { test: true },
    seed: SEED,
    ...extra,
  });
}

const snapshot = (m: Map<string, Tensor>) => new Map([...m].map(([k, t]) => [k, Array.from(t.dataSync() as Float32Array)]));

test("Trainer: the loss falls on a synthetic task, and debug mode finds no leak", async () => {
  const live = memory().liveTensors;
  const dir = await tempRunDir();
  const setup = tinySetup(40);
  const losses: number[] = [];
  try {
    const t = new Trainer({
      ...setup,
      schedule: constantLr(1e-2),
      batches: batchSource(),
      epochs: 10,
      iterationsPerEpoch: 4,
      runDir: dir,
      run: {},
      seed: SEED,
      debug: true,
      reporters: [{ onEvent: (e: TrainingEvent) => e.event === "iteration" && losses.push(e.loss) }],
    });
    const r = await t.run();
    assert.equal(r.status, "completed");
    const mean = (a: number[]) => a.reduce((x, y) => x + y, 0) / a.length;
    assert.ok(mean(losses.slice(-5)) < 0.8 * mean(losses.slice(0, 5)), `${mean(losses.slice(0, 5))} -> ${mean(losses.slice(-5))}`);
  } finally {
    setup.optimizer.dispose();
    setup.strategy.dispose();
    await rm(dir, { recursive: true, force: true });
  }
  assert.equal(memory().liveTensors, live, "everything freed after dispose");
});

test("Trainer: in debug mode a step that leaks a tensor fails with TensorLeakError", async () => {
  const dir = await tempRunDir();
  const setup = tinySetup();
  const step = setup.strategy.trainStep.bind(setup.strategy);
  setup.strategy.trainStep = (b, ctx) => {
    if (ctx.iteration === 2) keep(zeros([1])); // escapes the step's scope
    return step(b, ctx);
  };
  try {
    await assert.rejects(trainer(dir, setup, 0, { debug: true }).run(), (e: unknown) => e instanceof TensorLeakError && /Iteration 2 leaked 1/.test(e.message));
  } finally {
    setup.optimizer.dispose();
    setup.strategy.dispose();
    await rm(dir, { recursive: true, force: true });
  }
});

test("Trainer: a macrotask (a signal handler, an IPC message, a timer) runs between steps, so an abort from one stops training", async () => {
  const dir = await tempRunDir();
  const s = tinySetup();
  try {
    // batchSource() builds batches inline: awaiting one never leaves the microtask queue, as with
    // a loader whose batches are prefetched.
    const controller = new AbortController();
    setImmediate(() => controller.abort());
    const r = await trainer(dir, s, 0, { signal: controller.signal }).run();
    assert.equal(r.status, "interrupted");
    assert.ok(r.state.iteration <= 1, `the abort was seen only after ${r.state.iteration} iteration(s)`);
  } finally {
    s.strategy.dispose();
    s.optimizer.dispose();
    await rm(dir, { recursive: true, force: true });
  }
});

test("Trainer: an abort stops at an iteration boundary with a checkpoint; resuming continues exactly", async () => {
  const full = await tempRunDir();
  const cut = await tempRunDir();
  const a = tinySetup();
  const b = tinySetup();
  const c = tinySetup();
  try {
    const ra = await trainer(full, a).run();
    assert.equal(ra.status, "completed");
    const expected = snapshot(a.strategy.network.stateDict());

    const controller = new AbortController();
    const stopper = { onEvent: (e: TrainingEvent) => e.event === "iteration" && e.iteration === 5 && controller.abort() };
    const rb = await trainer(cut, b, 0, { signal: controller.signal, reporters: [stopper], checkpointEvery: 2 }).run();
    assert.equal(rb.status, "interrupted");
    assert.equal(rb.state.iteration, 6, "mid-epoch: epoch 1 ends at 8");

    const ckpt = (await loadCheckpoint(cut, "latest"))!;
    assert.equal(ckpt.trainer.iteration, 6);
    assert.equal(ckpt.trainer.samplerPosition, 6);
    restoreCheckpoint(ckpt, { strategy: c.strategy, optimizer: c.optimizer, generators: { trainer: c.generator, "strategy.dropout": c.strategy.generators().dropout } });
    const state = ckpt.trainer;
    ckpt.dispose();
    const rc = await trainer(cut, c, state.samplerPosition).run(state);
    assert.equal(rc.status, "completed");
    for (const [k, v] of snapshot(c.strategy.network.stateDict())) assert.deepEqual(v, expected.get(k), `parameter ${k} differs after resume`);

    // Both runs' epoch summaries agree (the resumed one carried the partial epoch over).
    const epochs = async (d: string) =>
      (await readFile(path.join(d, "metrics.jsonl"), "utf8"))
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l))
        .filter((e) => e.event === "epoch")
        .map((e) => [e.epoch, e.meanLoss]);
    const epochsCut = await epochs(cut);
    assert.deepEqual(epochsCut, await epochs(full));
    // Only checkpoints a pointer names are kept.
    const files = (await readdir(path.join(cut, "checkpoints"))).sort();
    assert.deepEqual(files, ["it_00000012.safetensors", "it_00000012.safetensors.json"]);
  } finally {
    for (const s of [a, b, c]) {
      s.optimizer.dispose();
      s.strategy.dispose();
    }
    await rm(full, { recursive: true, force: true });
    await rm(cut, { recursive: true, force: true });
  }
});

test("restoreCheckpoint refuses a checkpoint of another strategy, and a damaged file is a StateFileError", async () => {
  const dir = await tempRunDir();
  const a = tinySetup();
  try {
    await trainer(dir, a, 0, { epochs: 1 }).run();
    const ckpt = (await loadCheckpoint(dir, "final"))!;
    const other = { ...a.strategy, name: "mean-teacher", modules: () => a.strategy.modules() } as unknown as typeof a.strategy;
    assert.throws(() => restoreCheckpoint(ckpt, { strategy: other, optimizer: a.optimizer, generators: {} }), /strategy "supervised"/);
    ckpt.dispose();
    const file = path.join(dir, "checkpoints", "it_00000004.safetensors");
    const { writeFile } = await import("node:fs/promises");
    const bytes = await readFile(file);
    bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 0xff;
    await writeFile(file, bytes);
    await assert.rejects(loadCheckpoint(dir, "latest"), (e: unknown) => (e as Error).name === "StateFileError" && /checksum/.test((e as Error).message));
    assert.equal(await loadCheckpoint(dir, "best"), null, "no validation, no best checkpoint");
  } finally {
    a.optimizer.dispose();
    a.strategy.dispose();
    await rm(dir, { recursive: true, force: true });
  }
});
