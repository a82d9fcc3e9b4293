// DICOM image-plane geometry and how it maps onto the Volume's RAS+ affine.
//
// DICOM puts the patient in LPS (x to the patient's Left, y to Posterior, z to Superior) while the
// Volume, like NIfTI and nibabel, uses RAS+: the two differ by the sign of x and y, so
// affine_RAS = diag(-1, -1, 1, 1) · affine_LPS. Nothing else changes: the voxel data are not
// flipped, so a label map predicted on the Volume lines up pixel-for-pixel with the source frames.
//
// Voxel axes: i = column index (fastest in DICOM pixel data), j = row index, k = slice index in the
// order of the slices' projection on the normal n = row cosines × column cosines (ascending, as
// ITK/GDCM sort). Pixel (column c, row r) of a slice at ImagePositionPatient P lies at
//   P + c · PixelSpacing[1] · rowCosines + r · PixelSpacing[0] · columnCosines     (PS 3.3 C.7.6.2.1.1)
// — PixelSpacing[0] is the distance between rows, PixelSpacing[1] between columns.

import { FormatError } from "../errors.js";
import { fromParts, mat4Mul, type Mat3, type Mat4, type Vec3 } from "../../volume/affine.js";

/** Unit vectors of an image plane, in LPS. */
export interface PlaneAxes {
  /** Direction of increasing column index (first three values of ImageOrientationPatient). */
  readonly row: Vec3;
  /** Direction of increasing row index (last three values). */
  readonly col: Vec3;
  /** row × col: the direction of increasing slice index. */
  readonly normal: Vec3;
}

/** One 2-D frame's position, with where it came from (for messages). */
export interface PositionedSlice {
  /** ImagePositionPatient (LPS, mm): centre of the first transmitted pixel. */
  readonly position: Vec3;
  readonly path: string;
  /** 1-based frame number inside a multi-frame file. */
  readonly frame?: number | undefined;
}

/** How strictly the slice stack is checked. */
export interface SliceStackOptions {
  /**
   * Largest accepted deviation of any gap between neighbouring slices from the median gap, as a
   * fraction of it (also the tolerance for slices off the straight line). @default 0.01
   */
  readonly spacingTolerance?: number;
  /**
   * Non-uniform gaps (typically a missing slice): "error" refuses; "warn" builds a regular grid
   * from the first to the last slice and reports how far slices sit from it. @default "error"
   */
  readonly onNonUniformSpacing?: "error" | "warn";
  /**
   * Gantry tilt (slices shifted sideways along the stack): "shear" keeps every slice where it was
   * acquired through a sheared affine (non-orthonormal direction) and warns; "error" refuses.
   * @default "shear"
   */
  readonly onGantryTilt?: "shear" | "error";
  /** Slice spacing for a single-slice series (from SpacingBetweenSlices or SliceThickness). */
  readonly singleSliceSpacing?: number | undefined;
}

/** The slices in volume order and the step between them. */
export interface SliceStack {
  /** order[k] = index into the input of the slice that becomes volume slice k. */
  readonly order: readonly number[];
  /** World (LPS) vector from slice k to slice k+1 used in the affine. */
  readonly step: Vec3;
  /** Mean distance between neighbouring slices along the normal (mm). */
  readonly spacing: number;
  /** Gantry tilt in degrees (0 when the slices are stacked along the normal). */
  readonly tiltDegrees: number;
  readonly warnings: readonly string[];
}

/** Conversion between DICOM LPS and the Volume's RAS+ (its own inverse). */
export const LPS_TO_RAS: Mat4 = [
  [-1, 0, 0, 0],
  [0, -1, 0, 0],
  [0, 0, 1, 0],
  [0, 0, 0, 1],
];

const dot = (a: Vec3, b: Vec3): number => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
const sub = (a: Vec3, b: Vec3): Vec3 => [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
const add = (a: Vec3, b: Vec3): Vec3 => [a[0] + b[0], a[1] + b[1], a[2] + b[2]];
const scale = (a: Vec3, s: number): Vec3 => [a[0] * s, a[1] * s, a[2] * s];
const norm = (a: Vec3): number => Math.hypot(a[0], a[1], a[2]);
const cross = (a: Vec3, b: Vec3): Vec3 => [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
const fmt = (v: number, digits = 4): string => String(Number(v.toFixed(digits)));
const fmtVec = (v: readonly number[]): string => `[${v.map((x) => fmt(x)).join(", ")}]`;

/** "a.dcm" or "a.dcm frame 3". */
export function describeSlice(s: { readonly path: string; readonly frame?: number | undefined }): string {
  return s.frame === undefined ? s.path : `${s.path} frame ${s.frame}`;
}

/**
 * Unit row/column/normal vectors from ImageOrientationPatient. Values are renormalised (DS text
 * keeps ~16 digits); direction cosines more than `tol` from unit length or orthogonality are refused.
 * @throws FormatError naming the file and (0020,0037).
 */
export function planeAxes(iop: readonly number[], path: string, tol = 1e-3, where = "(0020,0037) ImageOrientationPatient"): PlaneAxes {
  const bad = (why: string): FormatError =>
    new FormatError({ path, message: `Cannot read DICOM: ${where} ${why}`, received: `[${iop.join("\\")}]` });
  if (iop.length !== 6 || !iop.every(Number.isFinite)) throw bad("must hold 6 finite numbers");
  const r: Vec3 = [iop[0]!, iop[1]!, iop[2]!];
  const c: Vec3 = [iop[3]!, iop[4]!, iop[5]!];
  const nr = norm(r);
  const nc = norm(c);
  if (Math.abs(nr - 1) > tol || Math.abs(nc - 1) > tol) throw bad("must hold two unit vectors (row and column direction cosines)");
  if (Math.abs(dot(r, c)) > tol) throw bad("row and column direction cosines must be orthogonal");
  const row = scale(r, 1 / nr);
  // Gram-Schmidt so that the three axes are exactly orthonormal.
  const c2 = sub(scale(c, 1 / nc), scale(row, dot(row, c) / nc));
  const col = scale(c2, 1 / norm(c2));
  return { row, col, normal: cross(row, col) };
}

/** Whether two orientations agree within `tol` on every cosine. */
export function sameOrientation(a: readonly number[], b: readonly number[], tol = 1e-4): boolean {
  return a.length === 6 && b.length === 6 && a.every((v, i) => Math.abs(v - b[i]!) <= tol);
}

/**
 * Orders slices along the normal and derives the step between them, checking that the stack is
 * regular: no two slices at one position, uniform gaps, slices on a straight line, tilt reported.
 * @throws FormatError naming the slices involved.
 */
export function stackSlices(normal: Vec3, slices: readonly PositionedSlice[], opts: SliceStackOptions = {}): SliceStack {
  const n = slices.length;
  if (n === 0) throw new RangeError("Cannot stack slices: none given");
  const tol = opts.spacingTolerance ?? 0.01;
  if (!(tol >= 0)) throw new RangeError(`spacingTolerance must be >= 0. Received: ${tol}`);
  const warnings: string[] = [];
  const proj = slices.map((s) => dot(s.position, normal));
  const order = [...proj.keys()].sort((a, b) => proj[a]! - proj[b]! || a - b);
  if (n === 1) {
    let sp = opts.singleSliceSpacing;
    if (!(sp !== undefined && Number.isFinite(sp) && sp > 0)) {
      sp = 1;
      warnings.push(`single-slice series ${describeSlice(slices[0]!)}: no SpacingBetweenSlices or SliceThickness, slice spacing set to 1 mm`);
    }
    return { order, step: scale(normal, sp), spacing: sp, tiltDegrees: 0, warnings };
  }
  const at = (k: number): PositionedSlice => slices[order[k]!]!;
  const gaps: number[] = [];
  for (let k = 0; k + 1 < n; k++) gaps.push(proj[order[k + 1]!]! - proj[order[k]!]!);

  // Two slices at one place: several acquisitions, echoes or phases mixed in one series.
  const sorted = [...gaps].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)]!;
  const dupTol = Math.max(1e-3, 1e-3 * median);
  const dup = gaps.findIndex((g) => g <= dupTol);
  if (dup >= 0) {
    throw new FormatError({
      path: at(dup + 1).path,
      message:
        `Cannot read DICOM series: ${describeSlice(at(dup))} and ${describeSlice(at(dup + 1))} lie at the same position along the slice normal ` +
        `(${fmt(gaps[dup]!)} mm apart; (0020,0032) ImagePositionPatient ${fmtVec(at(dup).position)} and ${fmtVec(at(dup + 1).position)}). ` +
        "The series mixes several acquisitions, echoes or time points; split it before reading",
    });
  }

  const first = at(0).position;
  const last = at(n - 1).position;
  const total = sub(last, first);
  const meanGap = dot(total, normal) / (n - 1);

  // Uniform gaps.
  const irregular = gaps.map((g, k) => ({ k, dev: Math.abs(g - median) })).filter((e) => e.dev > tol * median);
  if (irregular.length > 0) {
    const worst = irregular.reduce((a, b) => (b.dev > a.dev ? b : a));
    const what =
      `slice spacing is not uniform: most slices are ${fmt(median)} mm apart, but ${describeSlice(at(worst.k))} and ${describeSlice(at(worst.k + 1))} ` +
      `are ${fmt(gaps[worst.k]!)} mm apart (${irregular.length} irregular gap${irregular.length > 1 ? "s" : ""} of ${n - 1}; ` +
      `${gaps[worst.k]! > median * 1.5 ? "a slice is probably missing" : "the positions are irregular"})`;
    if ((opts.onNonUniformSpacing ?? "error") === "error") {
      throw new FormatError({
        path: at(worst.k + 1).path,
        message: `Cannot read DICOM series: ${what}. Pass onNonUniformSpacing: "warn" to read it on a regular grid anyway`,
      });
    }
    let maxOff = 0;
    for (let k = 0; k < n; k++) maxOff = Math.max(maxOff, Math.abs(proj[order[k]!]! - (proj[order[0]!]! + k * meanGap)));
    warnings.push(`${what}; read on a regular grid of ${fmt(meanGap)} mm, so slices sit up to ${fmt(maxOff)} mm from their true position`);
  }

  // Straight line and gantry tilt: the part of each step that is not along the normal.
  const lateralMean = sub(scale(total, 1 / (n - 1)), scale(normal, meanGap));
  let maxDev = 0;
  let worstK = 0;
  for (let k = 0; k + 1 < n; k++) {
    const d = sub(at(k + 1).position, at(k).position);
    const lat = sub(d, scale(normal, gaps[k]!));
    const dev = norm(sub(lat, lateralMean));
    if (dev > maxDev) [maxDev, worstK] = [dev, k];
  }
  const lineTol = Math.max(1e-3, tol * median);
  if (maxDev > lineTol) {
    throw new FormatError({
      path: at(worstK + 1).path,
      message:
        `Cannot read DICOM series: slice positions do not lie on a straight line: ${describeSlice(at(worstK + 1))} is shifted ` +
        `${fmt(maxDev)} mm sideways from the line through the other slices ((0020,0032) ImagePositionPatient ${fmtVec(at(worstK + 1).position)})`,
    });
  }
  const lateral = norm(lateralMean);
  const tiltDegrees = (Math.atan2(lateral, meanGap) * 180) / Math.PI;
  let step = scale(normal, meanGap);
  if (lateral > Math.max(1e-4, 1e-4 * meanGap)) {
    const what = `gantry tilt of ${fmt(tiltDegrees, 3)}°: each slice is shifted ${fmt(lateral)} mm sideways relative to the previous one (${slices.length} slices, ${fmt(meanGap)} mm apart)`;
    if ((opts.onGantryTilt ?? "shear") === "error") {
      throw new FormatError({
        path: at(0).path,
        message: `Cannot read DICOM series: ${what}. Pass onGantryTilt: "shear" to read it with a sheared affine`,
      });
    }
    step = scale(total, 1 / (n - 1));
    warnings.push(`${what}; the affine is sheared so every slice keeps its acquired position (the direction matrix is not orthonormal)`);
  }
  return { order, step, spacing: meanGap, tiltDegrees, warnings };
}

/**
 * Voxel -> LPS affine of a stack: columns rowCosines·PixelSpacing[1], columnCosines·PixelSpacing[0],
 * the slice step; translation the first slice's ImagePositionPatient.
 */
export function dicomAffineLps(axes: PlaneAxes, pixelSpacing: readonly [number, number], origin: Vec3, step: Vec3): Mat4 {
  const [rowSpacing, colSpacing] = pixelSpacing;
  const a = scale(axes.row, colSpacing);
  const b = scale(axes.col, rowSpacing);
  const lin: Mat3 = [
    [a[0], b[0], step[0]],
    [a[1], b[1], step[1]],
    [a[2], b[2], step[2]],
  ];
  return fromParts(lin, origin);
}

/** The same mapping with world coordinates in RAS+ (x and y negated). Also converts RAS -> LPS. */
export function lpsToRas(affine: Mat4): Mat4 {
  return mat4Mul(LPS_TO_RAS, affine);
}

/** A point from LPS to RAS+ (or back). */
export function flipLpsRas(p: Vec3): Vec3 {
  return [-p[0], -p[1], p[2]];
}

/** Position (LPS) of the first pixel of volume slice k under an LPS affine. */
export function slicePositionLps(affineLps: Mat4, k: number): Vec3 {
  return add([affineLps[0][3], affineLps[1][3], affineLps[2][3]], [affineLps[0][2] * k, affineLps[1][2] * k, affineLps[2][2] * k]);
}
