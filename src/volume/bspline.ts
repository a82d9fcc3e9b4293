// Cubic B-spline resampling (interpolation "bspline"), separable along the three index axes.
//
// The interpolant is f(x) = Σ_k c[k]·β³(x − k), where β³ is the cubic B-spline and the coefficients
// c are chosen so that f passes through every sample: s[k] = (c[k−1] + 4c[k] + c[k+1]) / 6. Solving
// that banded system is the "prefilter": the inverse filter 6 / (z + 4 + z⁻¹) factors into a causal
// and an anti-causal first-order recursion with pole α = √3 − 2,
//   c⁺[k] = 6·s[k] + α·c⁺[k−1]          (left to right)
//   c[k]  = α·(c[k+1] − c⁺[k])          (right to left)
// Boundary: the signal is extended by repeating its edge samples forever (scipy.ndimage
// mode="nearest"; the same edge extension the trilinear path clamps to). For a constant tail both
// recursions have closed-form starting values, so the coefficients below are those of the infinite
// extended signal, not a truncated approximation:
//   left:  c⁺[0] = 6·s₀ / (1 − α)                                (steady state of a constant input)
//   right: with A = 6·s_last / (1 − α) and B = c⁺[last], c⁺[last + m] = A + αᵐ·(B − A), so
//          c[last] = −Σ_{m≥0} α^{m+1}·c⁺[last + m] = −(A·α / (1 − α) + (B − A)·α / (1 − α²)).
// Each line is padded with `pad` repeated edge samples before filtering, so coefficients just
// beyond the data (needed near and outside the border) come out of the same exact recursion.
// scipy's map_coordinates(order=3, mode="nearest") computes the same interpolant (it pads by a
// finite number of edge samples), and agrees to ~1e-12 of the value range.
//
// The output grid is axis-aligned (input coordinate = scale·out + offset per axis), so the 3-D
// resampling is three 1-D passes: along x (prefilter every x line, evaluate the 4 taps at the new
// x positions), then y, then z. Everything runs in float64.

/** One axis of the output -> input mapping: input coordinate = scale·out + offset. */
export interface SplineAxis {
  readonly scale: number;
  readonly offset: number;
}

const ALPHA = Math.sqrt(3) - 2;
/** Beyond this many voxels outside the data the edge-extended spline equals the edge value to < α³⁰ ≈ 1e-17. */
const MAX_OVERSHOOT = 30;

/** Per output index: first of the 4 taps (index into the padded coefficient line) and their weights. */
interface SplineTaps {
  readonly pad: number;
  readonly first: Int32Array;
  readonly w: Float64Array;
}

/** Writes the cubic B-spline weights of taps i−1, i, i+1, i+2 for x = i + t (0 ≤ t < 1) at into[at..at+3]; they sum to 1. */
function cubicWeights(t: number, into: Float64Array, at: number): void {
  const u = 1 - t;
  into[at] = (u * u * u) / 6;
  into[at + 1] = 2 / 3 - t * t + (t * t * t) / 2;
  into[at + 2] = 2 / 3 - u * u + (u * u * u) / 2;
  into[at + 3] = (t * t * t) / 6;
}

function splineTaps(a: SplineAxis, nOut: number, nIn: number): SplineTaps {
  const x0 = a.offset;
  const x1 = a.scale * (nOut - 1) + a.offset;
  const over = Math.max(0, -Math.min(x0, x1), Math.max(x0, x1) - (nIn - 1));
  const reach = Math.min(Math.ceil(over), MAX_OVERSHOOT);
  const pad = reach + 2;
  const first = new Int32Array(nOut);
  const w = new Float64Array(4 * nOut);
  for (let j = 0; j < nOut; j++) {
    const x = Math.min(Math.max(a.scale * j + a.offset, -reach), nIn - 1 + reach);
    const i = Math.floor(x);
    first[j] = i - 1 + pad;
    cubicWeights(x - i, w, 4 * j);
  }
  return { pad, first, w };
}

/**
 * One pass along the middle axis of a block laid out as [inner, n, outer] (inner fastest): every
 * line of n samples (stride `inner`) is prefiltered and evaluated at nOut new positions. The
 * `inner` lines of one outer index are processed together, so strided axes stay cache-friendly.
 */
function splinePass(src: ArrayLike<number>, inner: number, n: number, outer: number, axis: SplineAxis, nOut: number): Float64Array {
  const { pad, first, w } = splineTaps(axis, nOut, n);
  const len = n + 2 * pad;
  const c = new Float64Array(len * inner);
  const out = new Float64Array(inner * nOut * outer);
  const g0 = 6 / (1 - ALPHA);
  const tailA = ALPHA / (1 - ALPHA);
  const tailB = ALPHA / (1 - ALPHA * ALPHA);
  const last = (len - 1) * inner;
  for (let o = 0; o < outer; o++) {
    const base = o * n * inner;
    // Edge-padded copy of the inner lines.
    for (let k = 0; k < len; k++) {
      const s = base + Math.min(Math.max(k - pad, 0), n - 1) * inner;
      const d = k * inner;
      for (let i = 0; i < inner; i++) c[d + i] = src[s + i]!;
    }
    // Causal recursion, started at the steady state of the constant left tail.
    for (let i = 0; i < inner; i++) c[i] = g0 * c[i]!;
    for (let d = inner; d <= last; d += inner) {
      for (let i = 0; i < inner; i++) c[d + i] = 6 * c[d + i]! + ALPHA * c[d - inner + i]!;
    }
    // Anti-causal recursion, started from the closed form for the constant right tail.
    const sLast = base + (n - 1) * inner;
    for (let i = 0; i < inner; i++) {
      const A = g0 * src[sLast + i]!;
      c[last + i] = -(A * tailA + (c[last + i]! - A) * tailB);
    }
    for (let d = last - inner; d >= 0; d -= inner) {
      for (let i = 0; i < inner; i++) c[d + i] = ALPHA * (c[d + inner + i]! - c[d + i]!);
    }
    // Evaluation: 4 taps per output position.
    for (let j = 0; j < nOut; j++) {
      const p = first[j]! * inner;
      const w0 = w[4 * j]!, w1 = w[4 * j + 1]!, w2 = w[4 * j + 2]!, w3 = w[4 * j + 3]!;
      const q = (o * nOut + j) * inner;
      for (let i = 0; i < inner; i++) {
        const r = p + i;
        out[q + i] = w0 * c[r]! + w1 * c[r + inner]! + w2 * c[r + 2 * inner]! + w3 * c[r + 3 * inner]!;
      }
    }
  }
  return out;
}

/**
 * Cubic B-spline resampling of every channel of `data` ([nx, ny, nz] per channel, x fastest) onto
 * the grid `shapeOut` given by `axes` (input coordinate = scale·out + offset along each axis).
 * Writes into `out` (nOut voxels per channel); float32 outputs are rounded once, at the end.
 */
export function bsplineResample(
  data: ArrayLike<number> & { subarray(begin: number, end: number): ArrayLike<number> },
  shape: readonly [number, number, number],
  channels: number,
  shapeOut: readonly [number, number, number],
  axes: readonly SplineAxis[],
  out: Float32Array | Float64Array,
): void {
  const [nx, ny, nz] = shape;
  const [mx, my, mz] = shapeOut;
  const block = nx * ny * nz;
  for (let ch = 0; ch < channels; ch++) {
    const src = data.subarray(ch * block, (ch + 1) * block);
    const px = splinePass(src, 1, nx, ny * nz, axes[0]!, mx);
    const py = splinePass(px, mx, ny, nz, axes[1]!, my);
    const pz = splinePass(py, mx * my, nz, 1, axes[2]!, mz);
    out.set(pz, ch * mx * my * mz);
  }
}
