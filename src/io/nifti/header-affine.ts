// Voxel -> world affine of a NIfTI header, with nibabel's precedence: sform when sform_code > 0,
// else qform when qform_code > 0, else the pixdim-only "base" affine. Readers disagree here
// (nifti-reader-js and older ITK take the qform first), and a silent choice is the classic
// source of flipped or shifted predictions, so disagreements are reported, or refused on request.

import {
  closestOrthogonal,
  decomposeAffine,
  fromParts,
  linearPart,
  mat3Det,
  orthonormalityError,
  relativeAffineDiff,
  translationPart,
  type Mat3,
  type Mat4,
  type Vec3,
} from "../../volume/index.js";
import { FormatError } from "../errors.js";
import type { NiftiHeader } from "./header.js";

/** Which header fields the affine came from. */
export type AffineSource = "sform" | "qform" | "pixdim";

/** What to do when the header's transforms look wrong. */
export interface AffineCheckOptions {
  /** sform and qform both set but disagreeing: report in warnings, or throw FormatError. @default "warn" */
  readonly onXformMismatch?: "warn" | "error";
  /** Direction cosines (columns of the chosen affine, normalised) not orthonormal. @default "warn" */
  readonly onNonOrthonormal?: "warn" | "error";
  /** Relative tolerance for both checks: |a−b| / max(1, |a|, |b|) per entry. @default 1e-4 */
  readonly affineTolerance?: number;
}

/** Rotation matrix of a unit quaternion (a, b, c, d), the formula of nifti1.h. */
export function rotationFromQuaternion(a: number, b: number, c: number, d: number): Mat3 {
  return [
    [a * a + b * b - c * c - d * d, 2 * (b * c - a * d), 2 * (b * d + a * c)],
    [2 * (b * c + a * d), a * a + c * c - b * b - d * d, 2 * (c * d - a * b)],
    [2 * (b * d - a * c), 2 * (c * d + a * b), a * a + d * d - b * b - c * c],
  ];
}

/**
 * Quaternion (b, c, d) with a ≥ 0 and qfac for a rotation-or-reflection matrix, as a NIfTI qform stores it.
 * A reflection (det < 0) is expressed by negating the third column and setting qfac = −1.
 */
export function quaternionFromDirection(direction: Mat3): { quatern: Vec3; qfac: 1 | -1 } {
  let r = closestOrthogonal(direction);
  const qfac = mat3Det(r) < 0 ? -1 : 1;
  if (qfac < 0) r = r.map((row) => [row[0], row[1], -row[2]]) as unknown as Mat3;
  const [[r00, r01, r02], [r10, r11, r12], [r20, r21, r22]] = r;
  const trace = r00 + r11 + r22;
  let a: number, b: number, c: number, d: number;
  // Branch on the largest of trace/diagonal so the divisor stays far from zero (Shepperd 1978).
  if (trace > 0) {
    const s = 2 * Math.sqrt(trace + 1);
    [a, b, c, d] = [0.25 * s, (r21 - r12) / s, (r02 - r20) / s, (r10 - r01) / s];
  } else if (r00 >= r11 && r00 >= r22) {
    const s = 2 * Math.sqrt(1 + r00 - r11 - r22);
    [a, b, c, d] = [(r21 - r12) / s, 0.25 * s, (r01 + r10) / s, (r02 + r20) / s];
  } else if (r11 >= r22) {
    const s = 2 * Math.sqrt(1 + r11 - r00 - r22);
    [a, b, c, d] = [(r02 - r20) / s, (r01 + r10) / s, 0.25 * s, (r12 + r21) / s];
  } else {
    const s = 2 * Math.sqrt(1 + r22 - r00 - r11);
    [a, b, c, d] = [(r10 - r01) / s, (r02 + r20) / s, (r12 + r21) / s, 0.25 * s];
  }
  // NIfTI stores only b, c, d and recomputes a = sqrt(1 − b² − c² − d²) ≥ 0, so flip the sign to match.
  if (a < 0) [b, c, d] = [-b, -c, -d];
  return { quatern: [b, c, d], qfac };
}

/** Spatial voxel sizes (pixdim[1..3], 1 beyond the rank) as nibabel's get_zooms()[:3]. */
function zooms(h: NiftiHeader): Vec3 {
  const rank = h.dim[0]!;
  const z = (i: number) => (i <= rank ? h.pixdim[i]! : 1);
  return [z(1), z(2), z(3)];
}

/** The qform affine (method 2 of nifti1.h). */
export function qformAffine(h: NiftiHeader, warn: (m: string) => void = () => {}): Mat4 {
  let [b, c, d] = h.quatern;
  const w2 = 1 - (b * b + c * c + d * d);
  let a: number;
  // As nifti1_io.c: a tiny or slightly negative a² (float32 rounding) means a 180° rotation.
  if (w2 < 1e-7) {
    const n = Math.hypot(b, c, d);
    if (n > 1 + 1e-3) warn(`qform quaternion (b,c,d) has norm ${n.toFixed(6)} > 1; normalised`);
    [a, b, c, d] = [0, b / n, c / n, d / n];
  } else {
    a = Math.sqrt(w2);
  }
  const r = rotationFromQuaternion(a, b, c, d);
  const qfac = h.pixdim[0]! < 0 ? -1 : 1;
  const [zx, zy, zz] = zooms(h);
  const lin: Mat3 = [
    [r[0][0] * zx, r[0][1] * zy, r[0][2] * zz * qfac],
    [r[1][0] * zx, r[1][1] * zy, r[1][2] * zz * qfac],
    [r[2][0] * zx, r[2][1] * zy, r[2][2] * zz * qfac],
  ];
  return fromParts(lin, h.qoffset);
}

/** The sform affine (method 3 of nifti1.h). */
export function sformAffine(h: NiftiHeader): Mat4 {
  const [x, y, z] = h.srow;
  return [x, y, z, [0, 0, 0, 1]];
}

/** nibabel's fallback when neither code is set: flipped x, centre of the grid at world 0. */
export function baseAffine(h: NiftiHeader): Mat4 {
  const rank = h.dim[0]!;
  const n = (i: number) => (i <= rank ? h.dim[i]! : 1);
  const [zx, zy, zz] = zooms(h);
  return [
    [-zx, 0, 0, ((n(1) - 1) / 2) * zx],
    [0, zy, 0, (-(n(2) - 1) / 2) * zy],
    [0, 0, zz, (-(n(3) - 1) / 2) * zz],
    [0, 0, 0, 1],
  ];
}

/** Picks the affine by nibabel's precedence and runs the consistency checks. */
export function resolveAffine(
  h: NiftiHeader,
  opts: AffineCheckOptions,
  where: { path: string; decompressed: boolean },
  warn: (m: string) => void,
): { affine: Mat4; source: AffineSource } {
  const tol = opts.affineTolerance ?? 1e-4;
  const report = (policy: "warn" | "error" | undefined, offset: number, message: string, received: string) => {
    if (policy === "error") throw new FormatError({ path: where.path, offset, message, received, decompressed: where.decompressed });
    warn(`${message}. Received: ${received}`);
  };
  const srowOffset = h.version === 1 ? 280 : 400;
  let affine: Mat4;
  let source: AffineSource;
  if (h.sformCode > 0) {
    affine = sformAffine(h);
    source = "sform";
    if (h.qformCode > 0) {
      const q = qformAffine(h, warn);
      const diff = relativeAffineDiff(affine, q);
      if (diff > tol) {
        report(
          opts.onXformMismatch,
          srowOffset,
          `sform and qform disagree (relative difference ${diff.toExponential(2)} > ${tol}); using the sform as nibabel does`,
          `sform=${JSON.stringify(affine.slice(0, 3))} qform=${JSON.stringify(q.slice(0, 3))}`,
        );
      }
    }
  } else if (h.qformCode > 0) {
    affine = qformAffine(h, warn);
    source = "qform";
  } else {
    affine = baseAffine(h);
    source = "pixdim";
    warn("neither sform_code nor qform_code is set; using the pixdim-only affine (x flipped, centred), as nibabel does");
  }
  const det = mat3Det(linearPart(affine));
  const g = Number.isFinite(det) && det !== 0 ? decomposeAffine(affine) : undefined;
  if (!g || ![...g.spacing, ...g.direction.flat(), ...translationPart(affine)].every(Number.isFinite)) {
    throw new FormatError({
      path: where.path,
      offset: srowOffset,
      message: `Cannot read NIfTI: the ${source} affine is singular or overflows`,
      received: JSON.stringify(affine.slice(0, 3)),
      decompressed: where.decompressed,
    });
  }
  const err = orthonormalityError(g.direction);
  if (err > tol) {
    report(
      opts.onNonOrthonormal,
      srowOffset,
      `direction cosines of the ${source} affine are not orthonormal (|DᵀD − I| = ${err.toExponential(2)} > ${tol}); the affine has shear`,
      JSON.stringify(affine.slice(0, 3)),
    );
  }
  return { affine, source };
}
