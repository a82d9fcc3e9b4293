import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { connectedComponents, largestComponent, removeSmallObjects, type ComponentConnectivity } from "./components.js";
import type { GridShape, Spacing } from "./label-map.js";
import { blank, cuboid, paint, sphere, sprinkle } from "./_testing/shapes.js";
import { LABEL_SCRIPT, POSTPROCESS_SCRIPT, runScipy } from "./_testing/scipy-ref.js";

const CONNECTIVITIES: readonly ComponentConnectivity[] = [6, 18, 26];

interface MaskCase {
  readonly name: string;
  readonly shape: GridShape;
  readonly mask: Uint8Array;
}

const MASKS: MaskCase[] = [
  { name: "random 25 % (many small components)", shape: [21, 17, 13], mask: sprinkle(blank([21, 17, 13]), 0.25, 1, 11) },
  { name: "random 45 % (percolating)", shape: [19, 19, 9], mask: sprinkle(blank([19, 19, 9]), 0.45, 1, 12) },
  { name: "flat 2-D grid", shape: [40, 30, 1], mask: sprinkle(blank([40, 30, 1]), 0.4, 1, 13) },
  { name: "spheres and a diagonal chain", shape: [24, 24, 24], mask: diagonalChain() },
];

/** Two spheres, plus voxels touching only by corners (one component at 26, many at 6). */
function diagonalChain(): Uint8Array {
  const s: GridShape = [24, 24, 24];
  const m = paint(blank(s), s, [1, 1, 1], 1, sphere([6, 6, 6], 4));
  paint(m, s, [1, 1, 1], 1, sphere([17, 17, 17], 5));
  for (let t = 0; t < 8; t++) m[12 + t + 24 * (3 + t + 24 * (14 - t))] = 1;
  return m;
}

describe("connectedComponents()", () => {
  test("labels binary masks exactly like scipy.ndimage.label (6, 18, 26)", () => {
    const jobs = MASKS.flatMap((c, i) => CONNECTIVITIES.map((conn) => ({ key: `m${i}`, shape: c.shape, connectivity: conn, c })));
    const arrays: Record<string, Uint8Array> = {};
    MASKS.forEach((c, i) => (arrays[`m${i}`] = c.mask));
    const ref = runScipy<{ count: number; labels: number[] }[]>(LABEL_SCRIPT, { cases: jobs.map(({ c: _c, ...j }) => j) }, arrays);
    jobs.forEach((j, k) => {
      const got = connectedComponents({ data: j.c.mask, shape: j.c.shape }, { connectivity: j.connectivity });
      const want = ref[k]!;
      const where = `${j.c.name}, ${j.connectivity}-connectivity`;
      assert.equal(got.count, want.count, where);
      assert.deepEqual([...got.labels], want.labels, where);
      const sizes = new Float64Array(want.count + 1);
      for (const l of want.labels) if (l) sizes[l]!++;
      assert.deepEqual([...got.sizes], [...sizes], where);
      if (k < 2) assert.ok(got.count > 10, where);
    });
  });

  test("separates classes that touch and keeps one component per touching class region", () => {
    const s: GridShape = [10, 4, 4];
    const m = paint(blank(s), s, [1, 1, 1], 1, cuboid([0, 0, 0], [4, 3, 3]));
    paint(m, s, [1, 1, 1], 2, cuboid([5, 0, 0], [9, 3, 3]));
    m[9] = 1; // a class-1 voxel inside class 2's block: its own component
    const cc = connectedComponents({ data: m, shape: s });
    assert.equal(cc.count, 3);
    assert.deepEqual([...cc.values], [0, 1, 2, 1]);
    assert.equal(cc.sizes[3], 1);
    assert.equal(cc.labels[9], 3);
  });

  test("honours a non-zero background and ignores NaN", () => {
    const d = new Float32Array([5, 5, 1, NaN, 1, 5]);
    const cc = connectedComponents({ data: d, shape: [6, 1, 1] }, { background: 5 });
    assert.equal(cc.count, 2);
    assert.deepEqual([...cc.labels], [0, 0, 1, 0, 2, 0]);
    assert.equal(cc.values[0], 5);
  });

  test("rejects bad connectivity and short data", () => {
    assert.throws(() => connectedComponents({ data: blank([2, 2, 2]), shape: [2, 2, 2] }, { connectivity: 8 as ComponentConnectivity }), /connectivity must be 6, 18 or 26/);
    assert.throws(() => connectedComponents({ data: blank([2, 2, 1]), shape: [2, 2, 2] }), /must hold 8 voxels/);
  });
});

describe("largestComponent() and removeSmallObjects()", () => {
  const shape: GridShape = [26, 22, 14];
  const spacing: Spacing = [0.8, 1.1, 2];
  const map = blank(shape);
  paint(map, shape, spacing, 1, sphere([10, 12, 14], 6));
  paint(map, shape, spacing, 2, cuboid([12, 2, 2], [19, 9, 26]));
  sprinkle(map, 0.03, 1, 21);
  sprinkle(map, 0.02, 2, 22);
  sprinkle(map, 0.01, 3, 23);

  test("agree with per-class scipy.ndimage.label post-processing", () => {
    const jobs = CONNECTIVITIES.flatMap((connectivity) => [1, 2.5, 7, 40].map((minSize) => ({ key: "m", shape, spacing, connectivity, classes: [1, 2, 3], minSize })));
    const want = runScipy<{ largest: number[]; small: number[] }[]>(POSTPROCESS_SCRIPT, { cases: jobs }, { m: map });
    jobs.forEach(({ connectivity, minSize }, k) => {
      const largest = largestComponent({ data: map, shape }, { connectivity });
      const small = removeSmallObjects({ data: map, shape, spacing }, minSize, { connectivity });
      assert.ok(largest instanceof Uint8Array);
      assert.deepEqual([...largest], want[k]!.largest, `largest, ${connectivity}`);
      assert.deepEqual([...small], want[k]!.small, `small < ${minSize} mm³, ${connectivity}`);
    });
  });

  test("process only the classes asked for, with per-class sizes and voxel units", () => {
    const onlyTwo = largestComponent({ data: map, shape }, { classes: [2] });
    for (let i = 0; i < map.length; i++) if (map[i] !== 2) assert.equal(onlyTwo[i], map[i]);
    const perClass = removeSmallObjects({ data: map, shape, spacing }, { 3: 1e9 });
    for (let i = 0; i < map.length; i++) assert.equal(perClass[i], map[i] === 3 ? 0 : map[i]);
    const vox = removeSmallObjects({ data: map, shape, spacing }, 2, { unit: "voxel" });
    const mm = removeSmallObjects({ data: map, shape, spacing: [1, 1, 1] }, 2);
    assert.deepEqual(vox, mm);
    assert.notEqual(largestComponent({ data: map, shape }), map, "returns a copy");
  });

  test("jointly keeps the largest blob of the union of classes", () => {
    const s: GridShape = [12, 3, 3];
    const m = blank(s);
    m.set([1, 2, 2, 0, 1, 0, 3, 3, 3, 3, 0, 1]);
    const out = largestComponent({ data: m, shape: s }, { jointly: true, classes: [1, 2, 3] });
    assert.deepEqual([...out.subarray(0, 12)], [0, 0, 0, 0, 0, 0, 3, 3, 3, 3, 0, 0]);
    const perClass = largestComponent({ data: m, shape: s }, { connectivity: 6 });
    assert.deepEqual([...perClass.subarray(0, 12)], [1, 2, 2, 0, 0, 0, 3, 3, 3, 3, 0, 0]);
  });

  test("keep 64-bit integer label maps 64-bit", () => {
    const big = BigInt64Array.from(map, (v) => BigInt(v));
    const out = largestComponent({ data: big, shape });
    assert.ok(out instanceof BigInt64Array);
    assert.deepEqual([...out].map(Number), [...largestComponent({ data: map, shape })]);
    const small = removeSmallObjects({ data: big, shape, spacing }, 7);
    assert.deepEqual([...small].map(Number), [...removeSmallObjects({ data: map, shape, spacing }, 7)]);
  });

  test("rejects negative or non-finite sizes", () => {
    assert.throws(() => removeSmallObjects({ data: map, shape }, -1), /minimum size must be a finite number/);
    assert.throws(() => removeSmallObjects({ data: map, shape }, { 1: NaN }), /for class 1/);
  });
});
