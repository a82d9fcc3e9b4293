// Importance weights for blending overlapping windows. A network is least reliable near the faces
// of its patch (it sees zero padding there instead of context), so each window's prediction is
// weighted by a Gaussian centred on the patch. The weight is a product of three 1-D Gaussians,
// which is what lets the sliding window compute the per-voxel normaliser from 1-D sums (see
// sliding-window.ts) instead of keeping a full-volume weight buffer.

/** A spatial size or position in tensor order (D, H, W) = (z, y, x). */
export type Size3 = readonly [number, number, number];

/** How overlapping window predictions are blended. */
export type BlendMode = "gaussian" | "constant";

/** Options of {@link gaussianWeights1d} and {@link importanceMap}. */
export interface ImportanceOptions {
  /** "gaussian" (centre-weighted) or "constant" (plain average). @default "gaussian" */
  readonly mode?: BlendMode;
  /** Standard deviation as a fraction of the patch edge (nnU-Net and MONAI use 1/8). @default 0.125 */
  readonly sigmaScale?: number;
}

/**
 * One axis of the importance map: exp(−(i − c)² / 2σ²) with c = (n − 1)/2 (so the weights are
 * exactly mirror-symmetric for odd and even n) and σ = n·sigmaScale, divided by its maximum.
 * Every weight is > 0, so voxels seen only by a window's edge still get a prediction.
 * @example gaussianWeights1d(4); // Float64Array [w, 1, 1, w] with 0 < w < 1
 */
export function gaussianWeights1d(n: number, opts: ImportanceOptions = {}): Float64Array {
  if (!Number.isSafeInteger(n) || n < 1) throw new RangeError(`Cannot build importance weights: size must be a positive integer. Received: ${n}`);
  const out = new Float64Array(n);
  if ((opts.mode ?? "gaussian") === "constant") return out.fill(1);
  const scale = opts.sigmaScale ?? 0.125;
  if (!(scale > 0) || !Number.isFinite(scale)) throw new RangeError(`Cannot build importance weights: sigmaScale must be a positive number. Received: ${scale}`);
  const sigma = n * scale;
  const c = (n - 1) / 2;
  let max = 0;
  for (let i = 0; i < n; i++) {
    out[i] = Math.exp(-((i - c) ** 2) / (2 * sigma * sigma));
    max = Math.max(max, out[i]!);
  }
  // A tiny floor keeps far corners of a small sigma strictly positive in float32 products.
  for (let i = 0; i < n; i++) out[i] = Math.max(out[i]! / max, 1e-6);
  return out;
}

/**
 * The 3-D importance map of a patch, (D, H, W) row-major (x fastest), maximum 1, every value > 0.
 * @example const w = importanceMap([64, 64, 64]); // w[centre] === 1
 */
export function importanceMap(patch: Size3, opts: ImportanceOptions = {}): Float32Array {
  const [gz, gy, gx] = patch.map((n) => gaussianWeights1d(n, opts)) as [Float64Array, Float64Array, Float64Array];
  const out = new Float32Array(patch[0] * patch[1] * patch[2]);
  let o = 0;
  for (let z = 0; z < patch[0]; z++) {
    for (let y = 0; y < patch[1]; y++) {
      const zy = gz[z]! * gy[y]!;
      for (let x = 0; x < patch[2]; x++) out[o++] = zy * gx[x]!;
    }
  }
  return out;
}
