// Test helpers (never exported from the package): fixed models whose answer is known voxel by
// voxel, and phantoms they segment exactly.
import type { PlanConfiguration } from "../../data/index.js";
import { conv3d, tensor } from "../../tensor/index.js";
import type { InferenceModel } from "../model.js";
import type { Predictor } from "../sliding-window.js";

/**
 * A 1×1×1 convolution from one input channel to C logits: logit_c = weights[c]·x + bias[c].
 * With weights c and bias −5c², class c wins for x in (10c − 5, 10c + 5): a thresholding
 * "identity" model for images whose intensity is 10 × label.
 * @param owned receives the weight tensors so the test can dispose them
 */
export function pointwisePredictor(weights: readonly number[], bias: readonly number[], owned: { dispose(): void }[]): Predictor {
  const w = tensor(Float32Array.from(weights), [weights.length, 1, 1, 1, 1]);
  const b = tensor(Float32Array.from(bias), [bias.length]);
  owned.push(w, b);
  return (x) => conv3d(x, w, b);
}

/** Small deterministic PRNG (xorshift32) in [0, 1). */
export function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 2 ** 32;
  };
}

/**
 * Random blocky labels in [0, classes) over a (D, H, W) grid (x fastest) and an image of
 * intensity 10·label + noise in [−3, 3].
 */
export function labelPhantom(shape: readonly [number, number, number], classes: number, seed: number): { image: Float32Array; labels: Uint8Array } {
  const r = rng(seed);
  const n = shape[0] * shape[1] * shape[2];
  const labels = new Uint8Array(n);
  // Blocks of 1–3 voxels along x: single-voxel structures right at window seams included.
  for (let i = 0; i < n; ) {
    const len = 1 + Math.floor(r() * 3);
    const c = Math.floor(r() * classes);
    for (let k = 0; k < len && i < n; k++) labels[i++] = c;
  }
  const image = new Float32Array(n);
  for (let i = 0; i < n; i++) image[i] = 10 * labels[i]! + (r() * 6 - 3);
  return { image, labels };
}

/** A plan configuration for tests: RAS, 1 mm, crop on, intensities unchanged ("none"). */
export function testPlan(over: Partial<PlanConfiguration> = {}): PlanConfiguration {
  return {
    axes: "xyz",
    orientation: "RAS",
    spacing: [1, 1, 1],
    medianShape: [16, 16, 16],
    patchSize: [8, 8, 8],
    batchSize: 2,
    cropToNonzero: true,
    resampling: { image: "linear", label: "nearest" },
    normalization: [{ scheme: "none", channel: 0, name: "MRI" }],
    network: { levels: 2, strides: [[1, 1, 1], [2, 2, 2]], kernelSizes: [[3, 3, 3], [3, 3, 3]], baseFilters: 4, maxFilters: 8 },
    estimatedMemoryMiB: 1,
    ...over,
  };
}

/** An InferenceModel around a predictor (no weights to free). */
export function fakeModel(predictor: Predictor, numClasses: number, plan: PlanConfiguration = testPlan(), id = "fake"): InferenceModel {
  const dispose = (): void => {};
  return {
    source: id,
    sha256: id.padEnd(64, "0"),
    predictors: [predictor],
    moduleNames: ["network"],
    decoderPredictors: [[predictor]],
    plan,
    mirrorAxes: [0, 1, 2],
    numClasses,
    inChannels: plan.normalization.length,
    labels: undefined,
    dispose,
    [Symbol.dispose]: dispose,
  };
}

/**
 * Ball labels on an (x, y, z) grid (x fastest): each ball [cx, cy, cz, r, label], later ones on
 * top, and an image of 10 × label (+ `noise` uniform in [−noise, noise]) except a zero border of
 * `border` voxels (exercises crop-to-non-zero).
 */
export function ballPhantom(
  shape: readonly [number, number, number],
  balls: readonly (readonly [number, number, number, number, number])[],
  opts: { border?: number; noise?: number; seed?: number } = {},
): { image: Float32Array; labels: Uint8Array } {
  const [nx, ny, nz] = shape;
  const labels = new Uint8Array(nx * ny * nz);
  const image = new Float32Array(nx * ny * nz);
  const r = rng(opts.seed ?? 1);
  const border = opts.border ?? 0;
  const noise = opts.noise ?? 2;
  for (let k = 0, o = 0; k < nz; k++)
    for (let j = 0; j < ny; j++)
      for (let i = 0; i < nx; i++, o++) {
        for (const [cx, cy, cz, rad, l] of balls) if ((i - cx) ** 2 + (j - cy) ** 2 + (k - cz) ** 2 <= rad * rad) labels[o] = l;
        const inside = i >= border && j >= border && k >= border && i < nx - border && j < ny - border && k < nz - border;
        if (!inside) labels[o] = 0;
        // Background inside the border sits at intensity 1..(1 + noise): non-zero, so the crop keeps it.
        image[o] = inside ? 10 * labels[o]! + 1 + r() * noise : 0;
      }
  return { image, labels };
}
