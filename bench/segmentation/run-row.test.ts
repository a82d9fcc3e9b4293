// One real row end to end on a tiny phantom dataset: plan → train (interrupted, then resumed by the
// next invocation) → sliding-window prediction of the validation cases → metrics. Checks that the
// training time adds up over both pieces, the iterations are complete, the metrics are those of the
// validation cases, and nothing leaks. About 20 s on a busy 2-core machine.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { writePhantomDataset } from "../../src/data/index.js";
import { expectNoLeakAsync, setNumThreads } from "../../src/tensor/index.js";
import type { TrainingEvent } from "../../src/training/index.js";
import { RowInterrupted, runSegmentationRow } from "./run-row.js";
import type { SegmentationPart, SegmentationRow } from "./types.js";

describe("runSegmentationRow on a phantom dataset", () => {
  let root: string;
  let row: SegmentationRow;
  before(async () => {
    setNumThreads(1);
    root = mkdtempSync(path.join(tmpdir(), "lw-segrow-"));
    const dataset = path.join(root, "data", "phantom");
    await writePhantomDataset(dataset, { cases: 8, shape: [24, 24, 24], classes: 2, seed: 3, boxes: false });
    row = {
      name: "tiny",
      dataset,
      work: { name: "tiny", planner: { maxPatchVoxels: 16 * 16 * 16, maxLevels: 2, baseFilters: 4 } },
      config: {
        seed: 7,
        strategy: { kind: "supervised", deepSupervision: false },
        network: { baseFilters: 4 },
        optimizer: { kind: "adam", lr: 1e-2 },
        schedule: { kind: "constant" },
        training: { epochs: 2, iterationsPerEpoch: 4, validationCases: 1, threads: 1 },
        data: { workers: 0 },
        split: { folds: 4, fold: 0, seed: 1 },
      },
      evalCases: 2,
      overlap: 0.25,
      meta: { method: "supervised" },
    };
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it("resumes an interrupted row, adds up its training time and scores the validation cases", async () => {
    const ctx = { suite: "toy", profile: "quick" as const, root, log: () => {} };
    // Piece 1: stop after 3 iterations (the trainer checkpoints at the next iteration boundary).
    const abort = new AbortController();
    let t0 = 0;
    let piece1 = 0;
    const first = (e: TrainingEvent) => {
      if (e.event === "start") t0 = performance.now();
      if (e.event === "iteration" && e.iteration === 2) abort.abort();
      if (e.event === "interrupted") piece1 = (performance.now() - t0) / 1000;
    };
    await assert.rejects(runSegmentationRow(row, { ...ctx, signal: abort.signal, onTrainingEvent: first }), RowInterrupted);
    assert.ok(piece1 > 0, "the first piece ran");

    // Piece 2: the next invocation resumes from checkpoint_latest.
    let piece2 = 0;
    let resumedAt = -1;
    const second = (e: TrainingEvent) => {
      if (e.event === "start") {
        t0 = performance.now();
        resumedAt = e.resumed ? e.iteration : -1;
      }
      if (e.event === "end") piece2 = (performance.now() - t0) / 1000;
    };
    let part: SegmentationPart | undefined;
    await expectNoLeakAsync(async () => {
      part = await runSegmentationRow(row, { ...ctx, onTrainingEvent: second });
    }, "a resumed row");
    assert.ok(part);
    assert.equal(resumedAt, 3, "training resumed at the checkpoint of iteration 3");
    assert.equal(part.status, "done");
    assert.equal(part.iterations, 8);
    // The trainer's wall time includes the first piece (without it the total would be about piece2).
    const total = (part.trainMinutes ?? 0) * 60;
    assert.ok(total - piece2 >= 0.5 * piece1, `total ${total.toFixed(3)} s should include piece 1 (${piece1.toFixed(3)} s) besides piece 2 (${piece2.toFixed(3)} s)`);

    // Scored: exactly the fold's first two validation cases, both phantom organs, Dice in [0, 1].
    const runDir = path.join(root, part.runDir!);
    const record = JSON.parse(readFileSync(path.join(runDir, "config.json"), "utf8")) as { splitsFile: string };
    const splits = JSON.parse(readFileSync(record.splitsFile, "utf8")) as { splits: { val: string[] }[] };
    assert.deepEqual(part.valCases, splits.splits[0]!.val.slice(0, 2));
    assert.deepEqual(part.perCaseDice.map((c) => c.case), part.valCases);
    assert.equal(part.classes.length, 2);
    for (const c of part.classes) assert.ok(c.dice.mean !== null && c.dice.mean >= 0 && c.dice.mean <= 1, `${c.name} Dice ${c.dice.mean}`);
    assert.equal(part.trainingCases?.labelled, 6);
    for (const id of part.valCases) assert.ok(existsSync(path.join(runDir, "predictions", `${id}.nii.gz`)));
    assert.ok(existsSync(path.join(runDir, "evaluation", "boxplots.png")));
    assert.ok(existsSync(path.join(runDir, "checkpoint_final.json")), "the model is where `labelwise predict --model` finds it");
    const starts = readFileSync(path.join(runDir, "metrics.jsonl"), "utf8").split("\n").filter((l) => l.includes('"event":"start"'));
    assert.equal(starts.length, 2, "metrics.jsonl keeps both pieces");
  });
});
