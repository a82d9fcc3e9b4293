// Target spacing: the median spacing per axis, except for strongly anisotropic data. When one
// axis is both much coarser (> `anisotropy`× the finest other axis) and has far fewer voxels
// (< 1/`anisotropy` of the smallest other axis), the median would upsample it with many
// interpolated slices; the 10th percentile of that axis' spacings is used instead, but never finer
// than the other axes (nnU-Net's rule, restated).
import { percentileSorted } from "../../volume/index.js";

/** Median of numbers (the mean of the middle two for an even count). */
export function median(values: readonly number[]): number {
  const s = Float64Array.from(values).sort();
  return percentileSorted(s, 50);
}

/**
 * @param spacings per case (x, y, z) in mm
 * @param shapes per case (x, y, z) voxels, at their own spacing (after cropping)
 */
export function targetSpacing(spacings: readonly (readonly number[])[], shapes: readonly (readonly number[])[], anisotropy = 3): [number, number, number] {
  if (spacings.length === 0) throw new RangeError("targetSpacing: no cases");
  const target = [0, 1, 2].map((a) => median(spacings.map((s) => s[a]!))) as [number, number, number];
  const sizes = [0, 1, 2].map((a) => median(shapes.map((s, i) => (s[a]! * spacings[i]![a]!) / target[a]!)));
  const worst = target.indexOf(Math.max(...target));
  const others = [0, 1, 2].filter((a) => a !== worst);
  const anisoSpacing = target[worst]! > anisotropy * Math.min(...others.map((a) => target[a]!));
  const anisoVoxels = sizes[worst]! * anisotropy < Math.min(...others.map((a) => sizes[a]!));
  if (anisoSpacing && anisoVoxels) {
    const p10 = percentileSorted(Float64Array.from(spacings.map((s) => s[worst]!)).sort(), 10);
    target[worst] = Math.max(p10, ...others.map((a) => target[a]!));
  }
  return target;
}
