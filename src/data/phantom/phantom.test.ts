import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { labelBoundingBoxes } from "../dataset/index.js";
import { AIR_INTENSITY, BODY_INTENSITY, generatePhantom, PHANTOM_ORGANS, type Phantom, type PhantomOptions } from "./generate.js";
import { PhantomRng, phantomSeed } from "./rng.js";

function bytes(a: ArrayBufferView): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

function stats(xs: ArrayLike<number>): { mean: number; sd: number } {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i]!;
  const mean = s / xs.length;
  let v = 0;
  for (let i = 0; i < xs.length; i++) v += (xs[i]! - mean) ** 2;
  return { mean, sd: Math.sqrt(v / (xs.length - 1)) };
}

describe("PhantomRng", () => {
  test("is pinned by a test vector (phantoms must not change between versions)", () => {
    const r = new PhantomRng(0);
    assert.deepEqual([r.nextUint32(), r.nextUint32(), r.nextUint32(), r.nextUint32()], PINNED_0);
    const s = new PhantomRng(phantomSeed(42, 3, 1));
    assert.deepEqual([s.nextUint32(), s.nextUint32()], PINNED_42_3_1);
  });

  test("normal() has mean 0 and sd 1; phantomSeed() separates keys", () => {
    const r = new PhantomRng(9);
    const xs = Float64Array.from({ length: 200000 }, () => r.normal());
    const { mean, sd } = stats(xs);
    assert.ok(Math.abs(mean) < 0.01 && Math.abs(sd - 1) < 0.01, `${mean} ${sd}`);
    const seeds = new Set([phantomSeed(1), phantomSeed(1, 0), phantomSeed(1, 1), phantomSeed(2, 0), phantomSeed(1, 0, 1), phantomSeed(2 ** 40, 0)]);
    assert.equal(seeds.size, 6);
    assert.throws(() => phantomSeed(-1), /non-negative integer/);
  });
});

const PINNED_0 = [3563087460, 3816037020, 4097523185, 2916864056];
const PINNED_42_3_1 = [1002921439, 1506777294];

describe("generatePhantom()", () => {
  test("is deterministic by seed: the same bytes twice, other bytes for another seed", () => {
    const opts: PhantomOptions = { seed: 5, shape: [40, 36, 28], classes: 4, noise: "rician" };
    const a = generatePhantom(opts);
    const b = generatePhantom(opts);
    assert.ok(bytes(a.image.data).equals(bytes(b.image.data)));
    assert.ok(bytes(a.label.data).equals(bytes(b.label.data)));
    assert.deepEqual(a.boxes, b.boxes);
    const c = generatePhantom({ ...opts, seed: 6 });
    assert.ok(!bytes(a.image.data).equals(bytes(c.image.data)));
    assert.ok(!bytes(a.label.data).equals(bytes(c.label.data)));
  });

  test("returns float32 image and uint8 label Volumes on one grid", () => {
    const p = generatePhantom({ seed: 1, shape: [48, 40, 20], spacing: [0.8, 0.9, 2.5], origin: [-20, 10, 5] });
    assert.equal(p.image.dtype, "float32");
    assert.equal(p.label.dtype, "uint8");
    assert.deepEqual(p.image.shape, [48, 40, 20]);
    assert.deepEqual(p.label.affine, p.image.affine);
    assert.deepEqual(p.image.spacing.map((s) => +s.toFixed(6)), [0.8, 0.9, 2.5]);
    assert.deepEqual(p.image.origin, [-20, 10, 5]);
    assert.ok(p.image.data.every(Number.isFinite));
  });

  const SEEDS = Array.from({ length: 8 }, (_, i) => i);
  for (const [name, opts] of [
    ["isotropic 64³", { shape: [64, 64, 64] }],
    ["anisotropic 64×64×24 at 0.8×0.8×2.5 mm", { shape: [64, 64, 24], spacing: [0.8, 0.8, 2.5] }],
  ] as [string, PhantomOptions][]) {
    test(`class volumes lie in the ranges the organ sizes imply (${name}, 6 classes, 8 seeds)`, () => {
      for (const seed of SEEDS) {
        const p = generatePhantom({ ...opts, seed, classes: 6 });
        const sp = p.image.spacing;
        const voxel = sp[0] * sp[1] * sp[2];
        const extent = p.image.shape.map((n, a) => n * sp[a]!);
        for (const o of p.organs) {
          const spec = PHANTOM_ORGANS[o.label - 1]!;
          const where = `seed ${seed} ${o.name}`;
          if (spec.shape !== "tube") {
            // Semi-axes f·extent·[0.8, 1.2] with f in the spec's size range.
            const lo = ((4 / 3) * Math.PI * spec.size[0] ** 3 * 0.8 ** 3 * extent[0]! * extent[1]! * extent[2]!);
            const hi = ((4 / 3) * Math.PI * spec.size[1] ** 3 * 1.2 ** 3 * extent[0]! * extent[1]! * extent[2]!);
            assert.ok(o.nominalVolume >= lo * 0.999 && o.nominalVolume <= hi * 1.001, `${where}: nominal ${o.nominalVolume} not in [${lo}, ${hi}]`);
          }
          const ratio = (o.voxels * voxel) / o.nominalVolume;
          // Deformation, occlusion by later organs and half-voxel labelling move the volume, within bounds.
          assert.ok(ratio > 0.5 && ratio < 1.6, `${where}: labelled/nominal volume ${ratio.toFixed(2)}`);
        }
      }
    });
  }

  test("adds Gaussian noise of the asked sigma, independent of geometry and intensity", () => {
    const base: PhantomOptions = { seed: 3, shape: [48, 48, 48] };
    const clean = generatePhantom({ ...base, noise: "none" });
    const noisy = generatePhantom({ ...base, noise: "gaussian", noiseSigma: 15 });
    assert.ok(bytes(clean.label.data).equals(bytes(noisy.label.data)), "noise leaves the labels alone");
    const d = noisy.image.data.map((v, i) => v - clean.image.data[i]!);
    const { mean, sd } = stats(d);
    // Four standard errors of the mean.
    assert.ok(Math.abs(mean) < (4 * 15) / Math.sqrt(d.length), `mean ${mean}`);
    assert.ok(Math.abs(sd / 15 - 1) < 0.01, `sd ${sd}`);
    let c = 0;
    for (let i = 1; i < d.length; i++) c += (d[i]! - mean) * (d[i - 1]! - mean);
    const r = c / ((d.length - 1) * sd * sd);
    assert.ok(Math.abs(r) < 0.01, `neighbour correlation ${r}`);
  });

  test("adds Rician noise: Rayleigh in air, nearly Gaussian in bright tissue", () => {
    const base: PhantomOptions = { seed: 4, shape: [48, 48, 48], biasField: 0 };
    const clean = generatePhantom({ ...base, noise: "none" }).image.data;
    const noisy = generatePhantom({ ...base, noise: "rician", noiseSigma: 10 }).image.data;
    const air: number[] = [];
    const bright: number[] = [];
    clean.forEach((v, i) => {
      if (v === AIR_INTENSITY) air.push(noisy[i]!);
      else if (v > 80) bright.push(noisy[i]! - v);
    });
    assert.ok(air.length > 5000 && bright.length > 5000);
    assert.ok(noisy.every((v) => v >= 0), "magnitudes");
    const a = stats(air);
    assert.ok(Math.abs(a.mean / (10 * Math.sqrt(Math.PI / 2)) - 1) < 0.02, `Rayleigh mean ${a.mean}`);
    assert.ok(Math.abs(a.sd / (10 * Math.sqrt(2 - Math.PI / 2)) - 1) < 0.03, `Rayleigh sd ${a.sd}`);
    const b = stats(bright);
    assert.ok(Math.abs(b.sd / 10 - 1) < 0.03 && Math.abs(b.mean) < 1, `bright tissue ${b.mean} ± ${b.sd}`);
  });

  test("multiplies by a smooth bias field within [e^−s, e^s]", () => {
    const base: PhantomOptions = { seed: 2, shape: [40, 40, 40], noise: "none", supersample: 1 };
    const flat = generatePhantom({ ...base, biasField: 0 }).image;
    const biased = generatePhantom({ ...base, biasField: 0.3 }).image;
    const [nx] = flat.shape;
    let lo = Infinity;
    let hi = 0;
    let step = 0;
    for (let i = 0; i < flat.data.length; i++) {
      if (flat.data[i] === 0) continue;
      const r = biased.data[i]! / flat.data[i]!;
      lo = Math.min(lo, r);
      hi = Math.max(hi, r);
      if (i % nx > 0 && flat.data[i - 1] !== 0) step = Math.max(step, Math.abs(r - biased.data[i - 1]! / flat.data[i - 1]!));
    }
    assert.ok(lo >= Math.exp(-0.3) - 1e-5 && hi <= Math.exp(0.3) + 1e-5, `${lo}..${hi}`);
    assert.ok(hi / lo > 1.1, "the field varies");
    assert.ok(step < 0.03, `neighbouring voxels differ by ${step}`);
  });

  test("partial volume: supersampling mixes intensities at edges; without it voxels hold tissue means", () => {
    const base: PhantomOptions = { seed: 8, shape: [40, 40, 40], noise: "none", biasField: 0 };
    const hard = generatePhantom({ ...base, supersample: 1 });
    const means = new Set([AIR_INTENSITY, ...hard.organs.map((o) => o.intensity)]);
    const distinct = new Set(hard.image.data);
    assert.ok(distinct.size <= means.size + 1, `${distinct.size} distinct values`);
    for (const o of hard.organs) assert.ok(distinct.has(Math.fround(o.intensity)));
    const soft = generatePhantom({ ...base, supersample: 2 });
    const body = [...distinct].find((v) => v !== AIR_INTENSITY && !hard.organs.some((o) => Math.fround(o.intensity) === v))!;
    assert.ok(Math.abs(body - BODY_INTENSITY) < 40);
    let mixed = 0;
    for (const v of soft.image.data) if (v > AIR_INTENSITY && v < body) mixed++;
    assert.ok(mixed > 500, `${mixed} voxels mix air and body`);
  });

  test("labels each organ where its intensity is (noise-free means per class)", () => {
    const p = generatePhantom({ seed: 11, classes: 6, noise: "none", biasField: 0, supersample: 1 });
    for (const o of p.organs) {
      let sum = 0;
      let n = 0;
      p.label.data.forEach((v, i) => {
        if (v === o.label) {
          sum += p.image.data[i]!;
          n++;
        }
      });
      assert.equal(n, o.voxels);
      assert.ok(Math.abs(sum / n - o.intensity) < 1e-3, `${o.name}: ${sum / n} vs ${o.intensity}`);
    }
  });

  test("boxes are tight around each organ (and match the data layer's labelBoundingBoxes)", () => {
    for (const seed of [0, 1, 2]) {
      const p: Phantom = generatePhantom({ seed, classes: 6, shape: [56, 48, 40], spacing: [1, 1.2, 1.5] });
      const fromData = labelBoundingBoxes(p.label);
      assert.equal(p.boxes.length, fromData.size);
      const [nx, ny, nz] = p.label.shape;
      for (const b of p.boxes) {
        assert.deepEqual({ min: b.min, max: b.max }, fromData.get(b.label));
        assert.equal(b.name, PHANTOM_ORGANS[b.label - 1]!.name);
        // Inside: every voxel of the class; each face touched by one.
        const touch = [false, false, false, false, false, false];
        for (let k = 0, i = 0; k < nz; k++) {
          for (let j = 0; j < ny; j++) {
            for (let x = 0; x < nx; x++, i++) {
              if (p.label.data[i] !== b.label) continue;
              const q = [x, j, k];
              for (let a = 0; a < 3; a++) {
                assert.ok(q[a]! >= b.min[a]! && q[a]! < b.max[a]!, `voxel outside the box of ${b.name}`);
                if (q[a] === b.min[a]) touch[2 * a] = true;
                if (q[a] === b.max[a]! - 1) touch[2 * a + 1] = true;
              }
            }
          }
        }
        assert.ok(touch.every(Boolean), `box of ${b.name} is not tight`);
      }
    }
  });

  test("rejects bad options", () => {
    assert.throws(() => generatePhantom({ classes: 7 }), /classes must be 1\.\.6/);
    assert.throws(() => generatePhantom({ shape: [2, 64, 64] }), /shape must be 3 integers/);
    assert.throws(() => generatePhantom({ spacing: [1, 0, 1] }), /spacing/);
    assert.throws(() => generatePhantom({ supersample: 5 }), /supersample/);
    assert.throws(() => generatePhantom({ noise: "poisson" as never }), /noise must be/);
    assert.throws(() => generatePhantom({ seed: 1.5 }), /seed/);
    assert.throws(() => generatePhantom({ classes: [{ name: "background", shape: "blob", size: [0.1, 0.2], intensity: 1 }] }), /not "background"/);
    assert.throws(() => generatePhantom({ classes: [{ name: "a", shape: "blob", size: [0.3, 0.2], intensity: 1 }] }), /size of "a"/);
  });

  test("accepts custom organ specs", () => {
    const p = generatePhantom({ seed: 1, classes: [{ name: "ball", shape: "ellipsoid", size: [0.2, 0.25], intensity: 300 }, { name: "pipe", shape: "tube", size: [0.05, 0.06], intensity: 20 }] });
    assert.deepEqual(p.organs.map((o) => [o.name, o.shape]), [["ball", "ellipsoid"], ["pipe", "tube"]]);
    assert.ok(p.organs.every((o) => o.voxels > 100));
  });
});
