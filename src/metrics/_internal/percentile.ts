// Percentiles of a sorted sample, numpy's default definition ("linear", type 7 of Hyndman & Fan):
// the p-th percentile sits at position (n − 1)·p/100 of the sorted values and is interpolated
// linearly between the two neighbouring order statistics. MONAI's HD95 uses numpy.percentile, so
// the same definition reproduces its values.

/** The p-th percentile (0 ≤ p ≤ 100) of ascending `sorted`; NaN when it is empty. */
export function percentileOfSorted(sorted: Float64Array, p: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const pos = (n - 1) * (p / 100);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, n - 1);
  const t = pos - lo;
  const a = sorted[lo]!;
  const b = sorted[hi]!;
  // Interpolate from the nearer end so that t = 1 − ε returns b up to ε, not b plus rounding.
  return t < 0.5 ? a + (b - a) * t : b - (b - a) * (1 - t);
}
