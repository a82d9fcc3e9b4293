import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { GridShape, Spacing } from "./label-map.js";
import { evaluateSegmentation, type ClassMetrics, type EvaluateOptions } from "./evaluate.js";
import { blank, cuboid, ellipsoid, paint, shifted, sphere, sprinkle } from "./_testing/shapes.js";
import { METRICS_SCRIPT, runScipy } from "./_testing/scipy-ref.js";

interface Case {
  readonly name: string;
  readonly shape: GridShape;
  readonly spacing: Spacing;
  readonly pred: Uint8Array;
  readonly ref: Uint8Array;
  readonly classes: readonly number[];
  readonly unit?: "mm" | "voxel";
  readonly connectivity?: 6 | 26;
}

const TOLERANCES = [0.5, 1, 1.5, 1.6, 2, 3.7];

/** Generated shape pairs: (pred, ref) per case. */
function cases(): Case[] {
  const out: Case[] = [];
  const iso: Spacing = [1, 1, 1];
  const s40: GridShape = [40, 40, 40];
  {
    const ref = paint(blank(s40), s40, iso, 1, sphere([20, 20, 20], 11));
    out.push({ name: "sphere, off by one voxel in x", shape: s40, spacing: iso, ref, pred: shifted(ref, s40, [1, 0, 0]), classes: [1] });
    out.push({ name: "sphere, off by (2,1,-1)", shape: s40, spacing: iso, ref, pred: shifted(ref, s40, [2, 1, -1]), classes: [1] });
    out.push({ name: "sphere vs itself", shape: s40, spacing: iso, ref, pred: ref.slice(), classes: [1] });
    const sp8: Spacing = [0.8, 0.8, 0.8];
    const ref8 = paint(blank(s40), s40, sp8, 1, sphere([16, 16, 16], 9));
    out.push({ name: "sphere off by 2 voxels of 0.8 mm (distances of exactly τ = 1.6)", shape: s40, spacing: sp8, ref: ref8, pred: shifted(ref8, s40, [2, 0, 0]), classes: [1] });
    out.push({ name: "sphere, 26-connected border", shape: s40, spacing: iso, ref, pred: shifted(ref, s40, [1, 1, 0]), classes: [1], connectivity: 26 });
  }
  {
    const shape: GridShape = [48, 44, 20];
    const sp: Spacing = [0.8, 0.9, 2.5];
    const ref = paint(blank(shape), shape, sp, 1, ellipsoid([19, 20, 24], [12, 9, 15]));
    const pred = paint(blank(shape), shape, sp, 1, sphere([20.5, 19, 23], 11));
    out.push({ name: "ellipsoid vs sphere, anisotropic", shape, spacing: sp, ref, pred, classes: [1] });
    out.push({ name: "ellipsoid vs sphere, anisotropic, voxel units", shape, spacing: sp, ref, pred, classes: [1], unit: "voxel" });
    out.push({ name: "ellipsoid vs sphere, anisotropic, 26", shape, spacing: sp, ref, pred, classes: [1], connectivity: 26 });
  }
  {
    const s: GridShape = [30, 30, 30];
    const ref = paint(blank(s), s, iso, 1, cuboid([5, 5, 5], [20, 18, 22]));
    out.push({ name: "cube, off by (1,1,0) (many tied distances)", shape: s, spacing: iso, ref, pred: shifted(ref, s, [1, 1, 0]), classes: [1] });
    const big = paint(blank(s), s, iso, 1, cuboid([0, 0, 0], [29, 29, 12]));
    out.push({ name: "box touching the grid faces", shape: s, spacing: iso, ref: big, pred: shifted(big, s, [0, 0, 3]), classes: [1] });
    const plate = paint(blank(s), s, iso, 1, cuboid([3, 3, 10], [26, 26, 10]));
    const line = paint(blank(s), s, iso, 1, cuboid([2, 15, 13], [27, 15, 13]));
    out.push({ name: "one-voxel plate vs line (all border)", shape: s, spacing: iso, ref: plate, pred: line, classes: [1] });
  }
  {
    const shape: GridShape = [36, 32, 18];
    const sp: Spacing = [1.2, 0.7, 3];
    const ref = blank(shape);
    paint(ref, shape, sp, 1, ellipsoid([20, 11, 27], [13, 8, 20]));
    paint(ref, shape, sp, 2, sphere([30, 15, 25], 6));
    paint(ref, shape, sp, 3, cuboid([4, 14, 6], [14, 20, 45]));
    const pred = shifted(ref, shape, [1, -1, 0]);
    paint(pred, shape, sp, 2, sphere([33, 17, 24], 5));
    // Scattered false positives and holes: irregular surfaces and tiny components.
    sprinkle(pred, 0.004, 3, 7);
    sprinkle(pred, 0.01, 0, 8);
    out.push({ name: "three organs, anisotropic, noisy prediction", shape, spacing: sp, ref, pred, classes: [1, 2, 3] });
    out.push({ name: "three organs, noisy, 26-connected border", shape, spacing: sp, ref, pred, classes: [1, 2, 3], connectivity: 26 });
    const only1 = ref.map((v) => (v === 1 ? 1 : 0));
    out.push({ name: "empty predictions and a class in neither", shape, spacing: sp, ref, pred: only1, classes: [1, 2, 3, 4] });
    out.push({ name: "empty references", shape, spacing: sp, ref: only1, pred, classes: [3, 2, 1] });
  }
  {
    const s: GridShape = [24, 24, 24];
    const ref = paint(blank(s), s, iso, 1, sphere([12, 12, 12], 0.5));
    const pred = paint(blank(s), s, iso, 1, sphere([15, 12, 10], 0.5));
    out.push({ name: "single voxels", shape: s, spacing: iso, ref, pred, classes: [1] });
  }
  return out;
}

type Ref = {
  label: number;
  predVoxels: number;
  refVoxels: number;
  overlapVoxels: number;
  dice?: number;
  jaccard?: number;
  hd?: number;
  hd95?: number;
  hd95pooled?: number;
  asd?: number;
  asdMean?: number;
  asdDirected?: number;
  nsd?: Record<string, number>;
  nsdStrict?: Record<string, number>;
  predSurfaceVoxels?: number;
  refSurfaceVoxels?: number;
};

describe("evaluateSegmentation() against scipy", () => {
  const all = cases();
  const arrays: Record<string, Uint8Array> = {};
  all.forEach((c, i) => {
    arrays[`c${i}_pred`] = c.pred;
    arrays[`c${i}_ref`] = c.ref;
  });
  const request = {
    cases: all.map((c, i) => ({
      key: `c${i}`,
      shape: c.shape,
      spacing: c.spacing,
      classes: c.classes,
      unit: c.unit ?? "mm",
      connectivity: c.connectivity ?? 6,
      tolerances: TOLERANCES,
    })),
  };
  let refs: Ref[][] = [];
  const maxDiff: Record<string, number> = {};
  const note = (metric: string, a: number, b: number) => {
    const d = Math.abs(a - b);
    maxDiff[metric] = Math.max(maxDiff[metric] ?? 0, d);
    return d;
  };
  const close = (metric: string, got: number, want: number, where: string) => {
    assert.ok(note(metric, got, want) <= 1e-9 * Math.max(1, Math.abs(want)), `${where} ${metric}: ${got} vs scipy ${want}`);
  };

  test("scipy reference runs", () => {
    refs = runScipy<Ref[][]>(METRICS_SCRIPT, request, arrays);
    assert.equal(refs.length, all.length);
  });

  all.forEach((c, i) => {
    test(`agrees on: ${c.name}`, () => {
      const base: EvaluateOptions = { classes: c.classes, unit: c.unit ?? "mm", connectivity: c.connectivity ?? 6, spacing: c.spacing };
      const main = evaluateSegmentation({ data: c.pred, shape: c.shape }, { data: c.ref, shape: c.shape }, base);
      const pooled = evaluateSegmentation({ data: c.pred, shape: c.shape }, { data: c.ref, shape: c.shape }, { ...base, hd95Mode: "pooled", asdMode: "mean" });
      const directed = evaluateSegmentation({ data: c.pred, shape: c.shape }, { data: c.ref, shape: c.shape }, { ...base, asdMode: "directed" });
      const byTol = TOLERANCES.map((t) => evaluateSegmentation({ data: c.pred, shape: c.shape }, { data: c.ref, shape: c.shape }, { ...base, nsdTolerance: t }));
      refs[i]!.forEach((r, k) => {
        const m: ClassMetrics = main[k]!;
        const where = `${c.name} class ${r.label}`;
        assert.equal(m.label, r.label);
        assert.equal(m.predVoxels, r.predVoxels, where);
        assert.equal(m.refVoxels, r.refVoxels, where);
        assert.equal(m.overlapVoxels, r.overlapVoxels, where);
        if (r.dice !== undefined) close("dice", m.dice, r.dice, where);
        if (r.jaccard !== undefined) close("jaccard", m.jaccard, r.jaccard, where);
        const vv = c.unit === "voxel" ? 1 : c.spacing[0] * c.spacing[1] * c.spacing[2];
        close("volumeDiff", m.volumeDiff, (r.predVoxels - r.refVoxels) * vv, where);
        if (r.hd === undefined) return;
        assert.equal(m.predSurfaceVoxels, r.predSurfaceVoxels, `${where} border voxels`);
        assert.equal(m.refSurfaceVoxels, r.refSurfaceVoxels, `${where} border voxels`);
        close("hd", m.hd, r.hd, where);
        close("hd95", m.hd95, r.hd95!, where);
        close("hd95 (pooled)", pooled[k]!.hd95, r.hd95pooled!, where);
        close("asd", m.asd, r.asd!, where);
        close("asd (mean of directed)", pooled[k]!.asd, r.asdMean!, where);
        close("asd (directed)", directed[k]!.asd, r.asdDirected!, where);
        TOLERANCES.forEach((t, j) => close("nsd", byTol[j]![k]!.nsd, r.nsd![String(t)]!, `${where} τ=${t}`));
      });
    });
  });

  test("reports the largest differences", (t) => {
    const strict = refs.flat().filter((r) => r.nsd && TOLERANCES.some((x) => r.nsd![String(x)] !== r.nsdStrict![String(x)]));
    t.diagnostic(`max |labelwise − scipy| per metric: ${JSON.stringify(maxDiff)}`);
    t.diagnostic(`classes where NSD's rounding slack at τ changes the value vs a strict d ≤ τ: ${strict.length}`);
    assert.ok(Object.keys(maxDiff).length >= 10);
    for (const [k, v] of Object.entries(maxDiff)) assert.ok(v <= 1e-6, `${k}: ${v}`);
  });
});
