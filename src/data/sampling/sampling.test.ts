import assert from "node:assert/strict";
import { test } from "node:test";
import { sphereCase, samplerConfig } from "../_testing/pipeline-fixtures.js";
import type { PreprocessedCase } from "../preprocess/index.js";
import { batchRecipe, buildBatch } from "./index.js";

const big = sphereCase("a", { shape: [40, 40, 30], centre: [30, 28, 20], radius: 3 });
const big2 = sphereCase("b", { shape: [40, 40, 30], centre: [8, 10, 6], radius: 3 });
const source = (id: string): PreprocessedCase => ({ a: big, b: big2 })[id as "a" | "b"]!;
const hasForeground = (label: ArrayLike<number>, from: number, n: number) => {
  for (let i = from; i < from + n; i++) if (label[i]! > 0) return true;
  return false;
};

test("batchRecipe(): the expected share of foreground-forced samples is the oversampling rate (33 %)", () => {
  const cfg = samplerConfig({ composition: { labelled: 2, unlabelled: 2, boxes: 0 } });
  let forced = 0, total = 0;
  for (let i = 0; i < 3000; i++) {
    for (const r of batchRecipe(cfg, i)) {
      if (r.stream === "unlabelled") assert.equal(r.forceForeground, false, "unlabelled samples are never centred on a (held-back) label");
      else {
        total++;
        if (r.forceForeground) forced++;
      }
    }
  }
  assert.ok(Math.abs(forced / total - 0.33) < 0.02, `forced share ${forced / total}`);
});

test("buildBatch(): forced samples contain foreground; without oversampling far fewer patches do", () => {
  const patch = 8 * 8 * 8;
  const share = (p: number) => {
    const cfg = samplerConfig({ patchSize: [8, 8, 8], foregroundOversampling: p });
    let withFg = 0, n = 0;
    for (let i = 0; i < 150; i++) {
      const b = buildBatch(cfg, i, source);
      const s = b.streams.labelled!;
      s.foreground.forEach((forced, k) => {
        const fg = hasForeground(s.label!, k * patch, patch);
        if (forced) assert.ok(fg, `forced sample ${k} of batch ${i} has no foreground`);
        withFg += fg ? 1 : 0;
        n++;
      });
    }
    return withFg / n;
  };
  const none = share(0), oversampled = share(0.33);
  assert.ok(oversampled >= 0.33, String(oversampled));
  assert.ok(none < 0.15 && oversampled > none + 0.2, `${none} vs ${oversampled}`);
});

test("buildBatch() is a pure function of (config, index)", () => {
  const cfg = samplerConfig({ composition: { labelled: 2, unlabelled: 1, boxes: 0 } });
  const a = buildBatch(cfg, 11, source), b = buildBatch(cfg, 11, source), c = buildBatch(cfg, 12, source);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a.streams.labelled!.image, c.streams.labelled!.image);
});

test("buildBatch(): without augmentation a patch is an exact crop of the case", () => {
  const cfg = samplerConfig({ foregroundOversampling: 0, patchSize: [8, 6, 4] });
  const b = buildBatch(cfg, 3, source);
  const s = b.streams.labelled!;
  const pc = source(s.caseIds[0]!);
  const [nx, ny] = pc.shape;
  // Find the crop start by matching: the first voxel of the patch must be a case voxel with the same 8x6x4 block.
  let found = false;
  for (let z0 = 0; z0 <= pc.shape[2] - 4 && !found; z0++)
    for (let y0 = 0; y0 <= ny - 6 && !found; y0++)
      for (let x0 = 0; x0 <= nx - 8 && !found; x0++) {
        let same = true;
        for (let z = 0; z < 4 && same; z++) for (let y = 0; y < 6 && same; y++) for (let x = 0; x < 8 && same; x++) same = s.image[x + 8 * (y + 6 * z)] === pc.image[x0 + x + nx * (y0 + y + ny * (z0 + z))] && s.label![x + 8 * (y + 6 * z)] === pc.label![x0 + x + nx * (y0 + y + ny * (z0 + z))];
        found = same;
      }
  assert.ok(found);
});

test("buildBatch(): a case smaller than the patch is padded with zeros, whole and aligned", () => {
  const small = sphereCase("s", { shape: [6, 5, 4], centre: [3, 2, 2], radius: 1, image: "textured" });
  const cfg = samplerConfig({ ids: ["s"], patchSize: [10, 8, 8] });
  const b = buildBatch(cfg, 0, () => small);
  const s = b.streams.labelled!;
  let caseSum = 0, patchSum = 0, labelled = 0;
  for (const v of small.image) caseSum += v;
  for (let i = 0; i < 640; i++) patchSum += s.image[i]!;
  for (let i = 0; i < 640; i++) labelled += s.label![i] === 1 ? 1 : 0;
  assert.ok(Math.abs(caseSum - patchSum) < 1e-3, "every case voxel is in the patch once");
  assert.equal(labelled, [...small.label!].filter((v) => v === 1).length);
});

test("buildBatch(): streams have the documented layouts; box masks and boxes agree", () => {
  const boxCase = sphereCase("x", { shape: [20, 20, 12], boxes: [{ label: "liver", value: 1, min: [6, 6, 2], max: [14, 12, 10] }], withLabel: false });
  const cfg = samplerConfig({ ids: ["x"], patchSize: [16, 16, 8], composition: { labelled: 0, unlabelled: 2, boxes: 3 }, foregroundOversampling: 1 });
  const b = buildBatch(cfg, 4, () => boxCase);
  assert.equal(b.streams.labelled, undefined);
  const u = b.streams.unlabelled!, bx = b.streams.boxes!;
  assert.equal(u.label, null);
  assert.equal(u.image.length, 2 * 16 * 16 * 8);
  assert.equal(bx.boxMask!.length, 3 * 2 * 16 * 16 * 8);
  const P = 16 * 16 * 8;
  bx.boxes!.forEach((boxes, n) => {
    assert.equal(boxes.length, 1, "the forced box is in the patch");
    const box = boxes[0]!;
    assert.equal(box.value, 1);
    const extent = box.max.map((m, a) => m - box.min[a]!);
    assert.deepEqual(extent.slice(1), [6, 8], "(h, w) extent of the box: y 6..12, x 6..14");
    assert.ok(extent[0]! >= 1 && extent[0]! <= 8, "z may be clipped by the 8-voxel patch");
    let count = 0;
    for (let i = 0; i < P; i++) count += bx.boxMask![(n * 2 + 0) * P + i]!;
    assert.equal(count, extent[0]! * 6 * 8);
    assert.equal(bx.boxMask!.subarray((n * 2 + 1) * P, (n * 2 + 2) * P).reduce((a, v) => a + v, 0), 0, "class 2 has no box");
  });
});
