import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Volume } from "../volume/index.js";
import {
  averageSurfaceDistance,
  dice,
  evaluateSegmentation,
  hausdorff,
  hd95,
  jaccard,
  normalizedSurfaceDice,
  volumeDifference,
  type ClassMetrics,
  type EvaluateOptions,
} from "./evaluate.js";
import type { GridShape, LabelMap } from "./label-map.js";
import { surfaceDistances } from "./surface.js";
import { blank } from "./_testing/shapes.js";

const SHAPE: GridShape = [6, 5, 4];
const SPACING = [2, 1, 0.5] as const;

/** A map with class 1 at the given voxels. */
function map(...voxels: [number, number, number][]): LabelMap {
  const d = blank(SHAPE);
  for (const [i, j, k] of voxels) d[i + SHAPE[0] * (j + SHAPE[1] * k)] = 1;
  return { data: d, shape: SHAPE, spacing: SPACING };
}

const EMPTY = map();
const ONE = map([1, 1, 1], [2, 1, 1]);
const DIAGONAL_MM = Math.hypot(6 * 2, 5 * 1, 4 * 0.5);

type Expect = Partial<Record<keyof ClassMetrics, number>>;
const POLICY: { name: string; pred: LabelMap; ref: LabelMap; opts: EvaluateOptions; want: Expect }[] = [
  {
    name: "both empty, default: a perfect score",
    pred: EMPTY,
    ref: EMPTY,
    opts: {},
    want: { dice: 1, jaccard: 1, hd: 0, hd95: 0, asd: 0, nsd: 1, volumeDiff: 0, relVolumeDiff: 0 },
  },
  {
    name: 'both empty, bothEmpty "nan": every score NaN',
    pred: EMPTY,
    ref: EMPTY,
    opts: { bothEmpty: "nan" },
    want: { dice: NaN, jaccard: NaN, hd: NaN, hd95: NaN, asd: NaN, nsd: NaN, volumeDiff: 0, relVolumeDiff: NaN },
  },
  {
    name: "empty prediction, default: Dice 0, distances NaN, NSD 0",
    pred: EMPTY,
    ref: ONE,
    opts: {},
    want: { dice: 0, jaccard: 0, hd: NaN, hd95: NaN, asd: NaN, nsd: 0, volumeDiff: -2, relVolumeDiff: -1, refSurfaceVoxels: 2 },
  },
  {
    name: "empty reference, default: Dice 0, distances NaN, relative volume NaN",
    pred: ONE,
    ref: EMPTY,
    opts: {},
    want: { dice: 0, jaccard: 0, hd: NaN, hd95: NaN, asd: NaN, nsd: 0, volumeDiff: 2, relVolumeDiff: NaN, predSurfaceVoxels: 2 },
  },
  {
    name: "empty prediction, a challenge's worst value",
    pred: EMPTY,
    ref: ONE,
    opts: { oneEmptyDistance: 373.13 },
    want: { dice: 0, hd: 373.13, hd95: 373.13, asd: 373.13, nsd: 0 },
  },
  {
    name: "empty prediction, the grid diagonal in mm",
    pred: EMPTY,
    ref: ONE,
    opts: { oneEmptyDistance: "diagonal" },
    want: { hd: DIAGONAL_MM, hd95: DIAGONAL_MM, asd: DIAGONAL_MM },
  },
  {
    name: "empty reference, the grid diagonal in voxels",
    pred: ONE,
    ref: EMPTY,
    opts: { oneEmptyDistance: "diagonal", unit: "voxel" },
    want: { hd95: Math.hypot(6, 5, 4), volumeDiff: 2 },
  },
  {
    name: "empty prediction, Infinity",
    pred: EMPTY,
    ref: ONE,
    opts: { oneEmptyDistance: Infinity },
    want: { hd95: Infinity },
  },
  {
    name: "one voxel apart along x: 2 mm, 1 voxel",
    pred: map([1, 1, 1]),
    ref: map([2, 1, 1]),
    opts: {},
    want: { dice: 0, hd: 2, hd95: 2, asd: 2, nsd: 0, volumeDiff: 0, relVolumeDiff: 0 },
  },
  {
    name: "one voxel apart along x, in voxels, τ = 1 voxel",
    pred: map([1, 1, 1]),
    ref: map([2, 1, 1]),
    opts: { unit: "voxel" },
    want: { hd: 1, hd95: 1, asd: 1, nsd: 1 },
  },
  {
    name: "two of three voxels shared along z (0.5 mm)",
    pred: map([0, 0, 0], [0, 0, 1]),
    ref: map([0, 0, 1], [0, 0, 2]),
    opts: { nsdTolerance: 0.25 },
    want: { dice: 0.5, jaccard: 1 / 3, hd: 0.5, asd: 0.25, nsd: 0.5, predVolume: 2, refVolume: 2 },
  },
];

function same(got: number, want: number): boolean {
  return got === want || (Number.isNaN(want) ? Number.isNaN(got) : Math.abs(got - want) <= 1e-12 * Math.max(1, Math.abs(want)));
}

describe("empty-mask policy and simple cases", () => {
  for (const c of POLICY) {
    test(c.name, () => {
      const [m] = evaluateSegmentation(c.pred, c.ref, { classes: [1], ...c.opts });
      for (const [k, v] of Object.entries(c.want)) assert.ok(same(m![k as keyof ClassMetrics] as number, v), `${k}: ${String(m![k as keyof ClassMetrics])} vs ${v}`);
    });
  }
});

describe("evaluateSegmentation() inputs and options", () => {
  test("finds the classes present in either map when none are given", () => {
    const p = blank(SHAPE);
    const r = blank(SHAPE);
    p.set([0, 3, 3, 0, 7], 10);
    r.set([1, 1, 0, 0, 7], 10);
    const out = evaluateSegmentation({ data: p, shape: SHAPE }, { data: r, shape: SHAPE }, { surface: false });
    assert.deepEqual(out.map((m) => m.label), [1, 3, 7]);
    assert.deepEqual(out.map((m) => m.dice), [0, 0, 1]);
    assert.ok(Number.isNaN(out[2]!.hd95), "surface: false skips distances");
  });

  test("takes Volumes (spacing from their affines) and refuses mismatched grids", () => {
    const mk = (sp: [number, number, number]) => Volume.fromGeometry({ data: blank(SHAPE), shape: SHAPE, spacing: sp, origin: [0, 0, 0] });
    const a = mk([2, 1, 0.5]);
    const b = mk([2, 1, 0.5]);
    a.data[0] = 1;
    b.data[1] = 1;
    assert.equal(hausdorff(a, b), 2);
    assert.throws(() => evaluateSegmentation(a, mk([1, 1, 1])), /spacings differ \(resample first\)/);
    assert.equal(evaluateSegmentation(a, mk([1, 1, 1]), { spacing: [3, 1, 1], classes: [1] })[0]!.predVolume, 3);
    assert.throws(() => evaluateSegmentation(a, { data: blank([6, 5, 3]), shape: [6, 5, 3] }), /shapes differ/);
    assert.throws(() => evaluateSegmentation(a, { data: new DataView(new ArrayBuffer(120)) as never, shape: SHAPE }), /numeric typed array/);
    const int64 = new BigInt64Array(120);
    int64[1] = 1n;
    assert.equal(hausdorff(a, { data: int64, shape: SHAPE, spacing: [2, 1, 0.5] }, { label: 1 }), 2, "int64 label maps (nibabel's numpy int64) are read as numbers");
  });

  test("per-class NSD tolerances", () => {
    const p = blank(SHAPE);
    const r = blank(SHAPE);
    p[0] = 1;
    r[2] = 1; // 4 mm away along x
    p[30] = 2;
    r[31] = 2; // 2 mm away
    const [a, b] = evaluateSegmentation({ data: p, shape: SHAPE, spacing: SPACING }, { data: r, shape: SHAPE, spacing: SPACING }, { nsdTolerance: { 1: 4, 2: 1 } });
    assert.equal(a!.nsd, 1);
    assert.equal(b!.nsd, 0);
    assert.throws(() => evaluateSegmentation({ data: p, shape: SHAPE }, { data: r, shape: SHAPE }, { nsdTolerance: { 1: 4 } }), /no entry for class 2/);
  });

  test("rejects bad options", () => {
    const m = { data: blank(SHAPE), shape: SHAPE };
    assert.throws(() => evaluateSegmentation(m, m, { unit: "cm" as never }), /unit must be/);
    assert.throws(() => evaluateSegmentation(m, m, { connectivity: 18 as never }), /connectivity must be 6 or 26/);
    assert.throws(() => evaluateSegmentation(m, m, { percentile: 101 }), /percentile/);
    assert.throws(() => evaluateSegmentation(m, m, { nsdTolerance: -1 }), /nsdTolerance/);
    assert.throws(() => evaluateSegmentation(m, m, { classes: [1, 1] }), /listed twice/);
    assert.throws(() => evaluateSegmentation(m, m, { classes: [-1] }), /non-negative integers/);
    assert.throws(() => evaluateSegmentation(m, m, { oneEmptyDistance: "max" as never }), /oneEmptyDistance/);
  });
});

describe("single-metric functions", () => {
  const p = blank(SHAPE);
  const r = blank(SHAPE);
  p.set([1, 1, 2, 2], 0);
  r.set([0, 1, 2, 3], 0);
  const P = { data: p, shape: SHAPE, spacing: SPACING };
  const R = { data: r, shape: SHAPE, spacing: SPACING };

  test("match evaluateSegmentation() for one label", () => {
    const [m1, m2] = evaluateSegmentation(P, R, { classes: [1, 2] });
    assert.equal(dice(P, R, { label: 1 }), m1!.dice);
    assert.equal(jaccard(P, R, { label: 2 }), m2!.jaccard);
    assert.equal(hd95(P, R, { label: 2 }), m2!.hd95);
    assert.equal(averageSurfaceDistance(P, R, { label: 1 }), m1!.asd);
    assert.equal(normalizedSurfaceDice(P, R, { label: 1, nsdTolerance: 2 }), evaluateSegmentation(P, R, { classes: [1], nsdTolerance: 2 })[0]!.nsd);
    assert.equal(volumeDifference(P, R, { label: 1 }), m1!.volumeDiff);
  });

  test("surfaceDistances() gives the raw directed distances behind them", () => {
    const [m1] = evaluateSegmentation(P, R, { classes: [1] });
    const d = surfaceDistances(P, R, { label: 1 });
    assert.equal(d.predToRef.length, m1!.predSurfaceVoxels);
    assert.equal(d.refToPred.length, m1!.refSurfaceVoxels);
    assert.equal(Math.max(d.predToRef.at(-1)!, d.refToPred.at(-1)!), m1!.hd);
    assert.ok(d.predToRef.every((v, i) => i === 0 || v >= d.predToRef[i - 1]!), "ascending");
    assert.deepEqual(surfaceDistances(P, R, { label: 9 }), { predToRef: new Float64Array(0), refToPred: new Float64Array(0) });
    assert.throws(() => surfaceDistances(P, { ...R, spacing: [1, 1, 1] }), /spacings differ/);
  });

  test("treat every non-zero voxel as foreground without a label", () => {
    assert.equal(dice(P, R), (2 * 3) / (4 + 3));
    assert.equal(hausdorff(P, R, { unit: "voxel" }), 1);
    assert.equal(volumeDifference(P, R), 1 * 2 * 1 * 0.5);
  });
});
