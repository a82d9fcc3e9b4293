// Grid comparison between the files of a case (channel vs channel, image vs label), with
// tolerances: two files written by different tools rarely agree to the last float32 bit, but any
// real difference in shape, spacing, origin or direction misplaces every voxel of a label.
import type { Mat3, Mat4, Shape3, Vec3, Volume } from "../../volume/index.js";

/** The geometry of one file. */
export interface GridInfo {
  readonly shape: Shape3;
  readonly spacing: Vec3;
  readonly origin: Vec3;
  readonly direction: Mat3;
  readonly affine: Mat4;
}

/** Tolerances for grid comparisons. */
export interface GeometryTolerances {
  /** Relative spacing difference |a−b| / max(|a|,|b|) (nnU-Net's np.allclose rtol). @default 1e-5 */
  readonly spacing?: number;
  /** Absolute origin difference, mm. @default 1e-3 */
  readonly origin?: number;
  /** Absolute difference of direction cosines. @default 1e-4 */
  readonly direction?: number;
  /** Relative difference of affine entries |a−b| / max(1,|a|,|b|), reported only when spacing, origin and direction agree (shear). @default 1e-4 */
  readonly affine?: number;
}

/** The grid of a Volume. */
export function gridOf(v: Volume): GridInfo {
  return { shape: v.shape, spacing: v.spacing, origin: v.origin, direction: v.direction, affine: v.affine };
}

/** Shortest decimal form, with enough digits that two different numbers print differently. */
function formatPair(a: readonly number[], b: readonly number[]): [string, string] {
  for (let digits = 6; digits <= 17; digits++) {
    const f = (xs: readonly number[]) => `[${xs.map((x) => String(+x.toPrecision(digits))).join(",")}]`;
    const [sa, sb] = [f(a), f(b)];
    if (sa !== sb || digits === 17) return [sa, sb];
  }
  return ["", ""];
}

function formatMatrixPair(a: readonly (readonly number[])[], b: readonly (readonly number[])[]): [string, string] {
  const rows = a.map((r, i) => formatPair(r, b[i]!));
  return [`[${rows.map((r) => r[0]).join(",")}]`, `[${rows.map((r) => r[1]).join(",")}]`];
}

/** One difference between two grids. */
export interface GridDifference {
  readonly field: "shape" | "spacing" | "origin" | "direction" | "affine";
  readonly message: string;
}

/**
 * Compares two grids and describes each difference with both values.
 * @param names how to call the two sides in messages, e.g. ["image", "label"]
 * @example
 * compareGrids(gridOf(img), gridOf(lab), ["image", "label"]); // [{ field: "spacing", message: "image [1,1,1] vs label [1,1,2]" }]
 */
export function compareGrids(a: GridInfo, b: GridInfo, names: readonly [string, string], tol: GeometryTolerances = {}): GridDifference[] {
  const out: GridDifference[] = [];
  const say = (field: GridDifference["field"], [sa, sb]: [string, string], extra = "") =>
    out.push({ field, message: `${names[0]} ${sa} vs ${names[1]} ${sb}${extra}` });
  if (a.shape.some((v, i) => v !== b.shape[i])) say("shape", [`[${a.shape.join(",")}]`, `[${b.shape.join(",")}]`]);
  const st = tol.spacing ?? 1e-5;
  if (a.spacing.some((v, i) => Math.abs(v - b.spacing[i]!) > st * Math.max(Math.abs(v), Math.abs(b.spacing[i]!)))) {
    say("spacing", formatPair(a.spacing, b.spacing));
  }
  const ot = tol.origin ?? 1e-3;
  if (a.origin.some((v, i) => !(Math.abs(v - b.origin[i]!) <= ot))) say("origin", formatPair(a.origin, b.origin), " (mm)");
  const dt = tol.direction ?? 1e-4;
  if (a.direction.some((r, i) => r.some((v, j) => !(Math.abs(v - b.direction[i]![j]!) <= dt)))) {
    say("direction", formatMatrixPair(a.direction, b.direction));
  }
  if (out.length === 0 || (out.length === 1 && out[0]!.field === "shape")) {
    const at = tol.affine ?? 1e-4;
    const differs = a.affine.some((r, i) =>
      r.some((v, j) => {
        const w = b.affine[i]![j]!;
        return !(Math.abs(v - w) <= at * Math.max(1, Math.abs(v), Math.abs(w)));
      }),
    );
    if (differs) say("affine", formatMatrixPair(a.affine.slice(0, 3), b.affine.slice(0, 3)));
  }
  return out;
}
