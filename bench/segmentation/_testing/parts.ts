// Synthetic parts for report tests: a finished row with given per-class Dice, or a failed one.
import { machineInfo } from "../../harness/index.js";
import type { SegmentationPart } from "../types.js";

const stat = (mean: number) => ({ mean, std: 0, excluded: 0 });

/** A finished part whose classes have these Dice values (mean = their average). */
export function fakePart(row: string, dice: Readonly<Record<string, number>>, trainingCases = { labelled: 8, unlabelled: 56, boxes: 0 }): SegmentationPart {
  const names = Object.keys(dice);
  const mean = names.reduce((a, n) => a + dice[n]!, 0) / names.length;
  return {
    suite: "test",
    row,
    profile: "full",
    status: "done",
    fingerprint: "0",
    meta: {},
    dataset: "/nowhere",
    config: {},
    runDir: `bench/work/x/${row}`,
    trainMinutes: 2,
    iterations: 100,
    trainingCases,
    valCases: ["c1"],
    classes: names.map((name, i) => ({ label: i + 1, name, dice: stat(dice[name]!), jaccard: stat(dice[name]!), hd95: stat(3), asd: stat(1) })),
    mean: { dice: mean, jaccard: mean, hd95: 3, asd: 1 },
    perCaseDice: [{ case: "c1", dice: names.map((n) => dice[n]!) }],
    predictMinutes: 0.1,
    machine: machineInfo("."),
    finishedAt: new Date(0).toISOString(),
  };
}

/** A failed part. */
export function failed(row: string): SegmentationPart {
  return { ...fakePart(row, { x: 0 }), status: "failed", error: "strategy kind \"x\" is not registered", classes: [], mean: null };
}
