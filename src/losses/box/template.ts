// Organ templates for the shape prior: surface point clouds in the normalised box frame [−1, 1]³
// (each axis scaled on its own, so a template is a shape without size or aspect), built from a label
// mask or, by default, an ellipsoid; and their placement into a box on the patch grid.
import { type DType, type Generator, type Tensor, ShapeError, cat, indexSelect, noGrad, pad, randperm, tensor, tidy, where } from "../../tensor/index.js";
import { maskRegions } from "./regions.js";
import { zeroCrossings } from "./surface.js";

export interface TemplateOptions {
  /** Points kept (a uniform random subset when the surface has more). @default 1024 */
  maxPoints?: number;
  /** Draws the subset; without one, libtorch's default generator. */
  generator?: Generator;
  /** @default "float64" */
  dtype?: DType;
}

/**
 * A template from one organ's mask: the midpoints of the grid edges that cross the mask boundary
 * (the same surface definition as the prediction's zero crossings, on a ±1 field), mapped so the
 * mask's bounding box [lo − ½, hi − ½] becomes [−1, 1] on every axis.
 * - Paper: Du et al., IEEE TMI 2023, arXiv:2302.02125 (template shape from one annotated case)
 * @param mask (D, H, W), > 0 inside the organ (e.g. `labels.eq(value)` of one labelled case)
 * @returns (P, 3) in (d, h, w) order
 * @example const liver = templateFromMask(label.eq(1), { generator: new Generator(0) });
 */
export function templateFromMask(mask: Tensor, opts: TemplateOptions = {}): Tensor {
  if (mask.rank !== 3) throw new ShapeError("templateFromMask", "a mask (D, H, W)", mask.shape);
  const maxPoints = opts.maxPoints ?? 1024;
  if (!Number.isInteger(maxPoints) || maxPoints < 1) throw new RangeError(`templateFromMask: maxPoints must be a positive integer. Received: ${maxPoints}`);
  const dtype = opts.dtype ?? "float64";
  return noGrad(() =>
    tidy(() => {
      const inside = mask.gt(0);
      const region = maskRegions(inside.unsqueeze(0).unsqueeze(0))[0]?.[0];
      if (!region) throw new RangeError("templateFromMask: the mask is empty");
      // Padding with "outside" closes the surface where the organ touches the volume's edge.
      const field = pad(where(inside, 1, -1).to(dtype).unsqueeze(0), [1, 1, 1, 1, 1, 1], "constant", -1).squeeze(0);
      let points = zeroCrossings(field).sub(1);
      const M = points.shape[0] as number;
      if (M > maxPoints) points = indexSelect(points, 0, randperm(M, { generator: opts.generator }).slice(0, 0, maxPoints));
      const lo = tensor(region.lo.map((v) => v - 0.5), [1, 3], { dtype });
      const extent = tensor(region.hi.map((v, a) => v - (region.lo[a] as number)), [1, 3], { dtype });
      return points.sub(lo).div(extent).mul(2).sub(1);
    }),
  );
}

/**
 * The default template: `points` points spread evenly over the unit sphere (a Fibonacci lattice),
 * which placed into a box is the ellipsoid inscribed in it.
 * @returns (points, 3) in (d, h, w) order, on the sphere of radius 1
 */
export function ellipsoidTemplate(points = 1024, dtype: DType = "float64"): Tensor {
  if (!Number.isInteger(points) || points < 1) throw new RangeError(`ellipsoidTemplate: points must be a positive integer. Received: ${points}`);
  const golden = Math.PI * (3 - Math.sqrt(5));
  const xyz = new Float64Array(points * 3);
  for (let i = 0; i < points; i++) {
    const z = 1 - (2 * (i + 0.5)) / points;
    const r = Math.sqrt(Math.max(0, 1 - z * z));
    xyz[3 * i] = z;
    xyz[3 * i + 1] = r * Math.cos(i * golden);
    xyz[3 * i + 2] = r * Math.sin(i * golden);
  }
  return tensor(xyz, [points, 3], { dtype });
}

/**
 * A template as it appears in a mirrored / turned patch: patch axis a takes the template's axis
 * `from[a]`, negated where `reversed[a]` (the [−1, 1]³ frame is centred, so mirroring is a sign).
 * @param template (P, 3) in (d, h, w) order
 * @returns a new (P, 3) tensor
 */
export function orientTemplate(template: Tensor, orientation: { readonly from: readonly number[]; readonly reversed: readonly boolean[] }): Tensor {
  if (template.rank !== 2 || template.shape[1] !== 3) throw new ShapeError("orientTemplate", "a template (P, 3)", template.shape);
  return tidy(() => {
    const columns = [0, 1, 2].map((a) => {
      const c = template.slice(1, orientation.from[a] as number, (orientation.from[a] as number) + 1);
      return orientation.reversed[a] ? c.neg() : c.clone();
    });
    return cat(columns, 1);
  });
}

/**
 * Places a [−1, 1]³ template into a box: −1 → min − ½, +1 → max − ½ per axis (the box's outer
 * voxel edges in index coordinates, where voxel i spans [i − ½, i + ½]).
 * @param template (P, 3)
 * @returns (P, 3) voxel index coordinates on the patch grid
 */
export function placeTemplate(template: Tensor, box: { readonly min: readonly number[]; readonly max: readonly number[] }): Tensor {
  if (template.rank !== 2 || template.shape[1] !== 3) throw new ShapeError("placeTemplate", "a template (P, 3)", template.shape);
  return tidy(() => {
    const lo = tensor(box.min.map((v) => v - 0.5), [1, 3], { dtype: template.dtype });
    const extent = tensor(box.max.map((v, a) => v - (box.min[a] as number)), [1, 3], { dtype: template.dtype });
    return template.add(1).div(2).mul(extent).add(lo);
  });
}
