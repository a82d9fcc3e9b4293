// Intensity augmentations on one channel of a patch (a Float32Array of P voxels, modified in
// place). They never touch labels. Each takes its parameters explicitly; the pipeline draws them.

/** Adds N(0, sigma²) noise to every voxel. */
export function addGaussianNoise(x: Float32Array, sigma: number, normal: () => number): void {
  if (sigma === 0) return;
  for (let i = 0; i < x.length; i++) x[i] = x[i]! + sigma * normal();
}

/** Multiplies every voxel by `factor`. */
export function scaleBrightness(x: Float32Array, factor: number): void {
  for (let i = 0; i < x.length; i++) x[i] = x[i]! * factor;
}

function stats(x: Float32Array): { mean: number; std: number; min: number; max: number } {
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    sum += v;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const mean = sum / x.length;
  let ss = 0;
  for (let i = 0; i < x.length; i++) ss += (x[i]! - mean) ** 2;
  return { mean, std: Math.sqrt(ss / x.length), min, max };
}

/** Scales deviations from the mean by `factor`, then clips to the previous [min, max] (the range is preserved). */
export function adjustContrast(x: Float32Array, factor: number): void {
  const s = stats(x);
  for (let i = 0; i < x.length; i++) x[i] = Math.min(s.max, Math.max(s.min, (x[i]! - s.mean) * factor + s.mean));
}

/**
 * Gamma on the range-normalised intensities: x' = ((x − min)/range)^gamma · range + min, then the
 * previous mean and std are restored. With `invert`, applied to −x (brightening dark structures
 * instead of bright ones).
 */
export function applyGamma(x: Float32Array, gamma: number, invert: boolean): void {
  if (invert) for (let i = 0; i < x.length; i++) x[i] = -x[i]!;
  const s = stats(x);
  const range = s.max - s.min;
  if (range > 0) {
    for (let i = 0; i < x.length; i++) x[i] = ((x[i]! - s.min) / range) ** gamma * range + s.min;
    const t = stats(x);
    const k = t.std > 0 ? s.std / t.std : 1;
    for (let i = 0; i < x.length; i++) x[i] = (x[i]! - t.mean) * k + s.mean;
  }
  if (invert) for (let i = 0; i < x.length; i++) x[i] = -x[i]!;
}
