import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { largestComponent, removeSmallObjects } from "./components.js";
import { evaluateSegmentation } from "./evaluate.js";
import type { GridShape, Spacing } from "./label-map.js";
import { blank, ellipsoid, paint, sphere, sprinkle } from "./_testing/shapes.js";

const SHAPE: GridShape = [256, 256, 128];
const SPACING: Spacing = [0.8, 0.8, 1.5];

describe("performance on a 256×256×128 pair", () => {
  // Two large organs (most of the grid inside their boxes, so no cropping shortcut) and noise.
  const ref = blank(SHAPE);
  paint(ref, SHAPE, SPACING, 1, ellipsoid([100, 105, 95], [80, 70, 80]));
  paint(ref, SHAPE, SPACING, 2, sphere([150, 120, 100], 35));
  const pred = blank(SHAPE);
  paint(pred, SHAPE, SPACING, 1, ellipsoid([103, 101, 96], [78, 73, 77]));
  paint(pred, SHAPE, SPACING, 2, sphere([148, 122, 98], 36));
  sprinkle(pred, 0.001, 2, 5);

  test("evaluateSegmentation() with every metric takes < 5 s", (t) => {
    const t0 = performance.now();
    const out = evaluateSegmentation({ data: pred, shape: SHAPE, spacing: SPACING }, { data: ref, shape: SHAPE, spacing: SPACING }, { nsdTolerance: 2 });
    const ms = performance.now() - t0;
    t.diagnostic(`evaluateSegmentation 256×256×128, 2 classes: ${ms.toFixed(0)} ms; ${out.map((m) => `class ${m.label}: Dice ${m.dice.toFixed(4)} HD95 ${m.hd95.toFixed(3)} mm ASD ${m.asd.toFixed(3)} mm NSD ${m.nsd.toFixed(4)}`).join("; ")}`);
    assert.equal(out.length, 2);
    assert.ok(out.every((m) => m.dice > 0.8 && m.hd95 > 0));
    assert.ok(out[0]!.hd95 < 20, "class 1 has no scattered voxels");
    assert.ok(ms < 5000, `${ms} ms`);
  });

  test("largestComponent() and removeSmallObjects() take < 5 s together", (t) => {
    const t0 = performance.now();
    const a = largestComponent({ data: pred, shape: SHAPE });
    const t1 = performance.now();
    const b = removeSmallObjects({ data: pred, shape: SHAPE, spacing: SPACING }, 10);
    const t2 = performance.now();
    t.diagnostic(`largestComponent ${(t1 - t0).toFixed(0)} ms, removeSmallObjects ${(t2 - t1).toFixed(0)} ms`);
    assert.deepEqual(a, b, "the sprinkled voxels are the only small components and none is largest");
    assert.ok(t2 - t0 < 5000);
  });
});
