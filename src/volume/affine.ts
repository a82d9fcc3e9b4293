// Affine maths for voxel -> world (mm) mappings. Matrices are nested row arrays, the layout of
// nibabel's `affine.tolist()`, so they survive JSON and compare directly with Python in tests.
// World space is NIfTI's RAS+ (x to Right, y to Anterior, z to Superior); ITK/DICOM use LPS,
// which differs by the sign of x and y.

/** A point or vector in 3-D. */
export type Vec3 = readonly [number, number, number];
/** A row of a 4×4 matrix. */
export type Vec4 = readonly [number, number, number, number];
/** 3×3 matrix as rows; a direction matrix holds one unit axis per column. */
export type Mat3 = readonly [Vec3, Vec3, Vec3];
/** 4×4 homogeneous matrix as rows; the last row of an affine is [0, 0, 0, 1]. */
export type Mat4 = readonly [Vec4, Vec4, Vec4, Vec4];

/** Spacing, origin and direction: the ITK-style description of an affine without shear. */
export interface Geometry {
  /** Voxel size along each index axis, mm (> 0). */
  readonly spacing: Vec3;
  /** World position of the centre of voxel (0, 0, 0), mm. */
  readonly origin: Vec3;
  /** Column j is the world unit vector along index axis j. */
  readonly direction: Mat3;
}

/** 3×3 identity. */
export const IDENTITY3: Mat3 = [
  [1, 0, 0],
  [0, 1, 0],
  [0, 0, 1],
];

/** 4×4 identity. */
export const IDENTITY4: Mat4 = [
  [1, 0, 0, 0],
  [0, 1, 0, 0],
  [0, 0, 1, 0],
  [0, 0, 0, 1],
];

/** Builds a Mat4 from 16 numbers in row order (or a nested 4×4 array); validates finiteness. */
export function toMat4(values: readonly number[] | readonly (readonly number[])[]): Mat4 {
  const flat = (values as readonly unknown[]).flat() as number[];
  if (flat.length !== 16 || !flat.every((v) => typeof v === "number" && Number.isFinite(v))) {
    throw new RangeError(`Cannot build a 4x4 matrix: need 16 finite numbers. Received: ${JSON.stringify(values)}`);
  }
  const r = (i: number): Vec4 => [flat[i]!, flat[i + 1]!, flat[i + 2]!, flat[i + 3]!];
  return [r(0), r(4), r(8), r(12)];
}

/** Matrix product a·b of two 3×3 matrices. */
export function mat3Mul(a: Mat3, b: Mat3): Mat3 {
  const row = (r: Vec3): Vec3 => [
    r[0] * b[0][0] + r[1] * b[1][0] + r[2] * b[2][0],
    r[0] * b[0][1] + r[1] * b[1][1] + r[2] * b[2][1],
    r[0] * b[0][2] + r[1] * b[1][2] + r[2] * b[2][2],
  ];
  return [row(a[0]), row(a[1]), row(a[2])];
}

/** Transpose of a 3×3 matrix. */
export function mat3Transpose(m: Mat3): Mat3 {
  return [
    [m[0][0], m[1][0], m[2][0]],
    [m[0][1], m[1][1], m[2][1]],
    [m[0][2], m[1][2], m[2][2]],
  ];
}

/** Determinant of a 3×3 matrix. */
export function mat3Det(m: Mat3): number {
  return (
    m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) -
    m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0]) +
    m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0])
  );
}

/** Inverse of a 3×3 matrix; RangeError when singular. */
export function mat3Inv(m: Mat3): Mat3 {
  const det = mat3Det(m);
  const scale = Math.max(...m.flat().map(Math.abs));
  if (!Number.isFinite(det) || Math.abs(det) <= 1e-12 * scale ** 3 || scale === 0) {
    throw new RangeError(`Cannot invert matrix: it is singular. Received: det=${det}`);
  }
  const [[a, b, c], [d, e, f], [g, h, i]] = m;
  return [
    [(e * i - f * h) / det, (c * h - b * i) / det, (b * f - c * e) / det],
    [(f * g - d * i) / det, (a * i - c * g) / det, (c * d - a * f) / det],
    [(d * h - e * g) / det, (b * g - a * h) / det, (a * e - b * d) / det],
  ];
}

/** Product m·v. */
export function mat3Apply(m: Mat3, v: Vec3): Vec3 {
  return [
    m[0][0] * v[0] + m[0][1] * v[1] + m[0][2] * v[2],
    m[1][0] * v[0] + m[1][1] * v[1] + m[1][2] * v[2],
    m[2][0] * v[0] + m[2][1] * v[1] + m[2][2] * v[2],
  ];
}

/** The linear (upper-left 3×3) part of an affine. */
export function linearPart(a: Mat4): Mat3 {
  return [
    [a[0][0], a[0][1], a[0][2]],
    [a[1][0], a[1][1], a[1][2]],
    [a[2][0], a[2][1], a[2][2]],
  ];
}

/** The translation column of an affine. */
export function translationPart(a: Mat4): Vec3 {
  return [a[0][3], a[1][3], a[2][3]];
}

/** Builds an affine from a linear part and a translation. */
export function fromParts(linear: Mat3, t: Vec3): Mat4 {
  return [
    [linear[0][0], linear[0][1], linear[0][2], t[0]],
    [linear[1][0], linear[1][1], linear[1][2], t[1]],
    [linear[2][0], linear[2][1], linear[2][2], t[2]],
    [0, 0, 0, 1],
  ];
}

/** Matrix product a·b of two 4×4 matrices. */
export function mat4Mul(a: Mat4, b: Mat4): Mat4 {
  const out: number[] = [];
  for (let r = 0; r < 4; r++) {
    for (let c = 0; c < 4; c++) {
      let s = 0;
      for (let k = 0; k < 4; k++) s += a[r]![k]! * b[k]![c]!;
      out.push(s);
    }
  }
  return toMat4(out);
}

/** Inverse of an affine (last row [0,0,0,1]); RangeError when the linear part is singular. */
export function invertAffine(a: Mat4): Mat4 {
  assertAffine(a);
  const li = mat3Inv(linearPart(a));
  const t = mat3Apply(li, translationPart(a));
  return fromParts(li, [-t[0], -t[1], -t[2]]);
}

/** Throws RangeError unless `a` is a finite 4×4 matrix whose last row is [0,0,0,1]. */
export function assertAffine(a: Mat4): void {
  if (!Array.isArray(a) || a.length !== 4 || !a.every((r) => Array.isArray(r) && r.length === 4 && r.every(Number.isFinite))) {
    throw new RangeError(`Invalid affine: need a finite 4x4 matrix. Received: ${JSON.stringify(a)}`);
  }
  const last = a[3];
  if (last[0] !== 0 || last[1] !== 0 || last[2] !== 0 || last[3] !== 1) {
    throw new RangeError(`Invalid affine: last row must be [0,0,0,1]. Received: [${last.join(",")}]`);
  }
}

/** Maps a point through an affine: a·[p, 1]. */
export function applyAffine(a: Mat4, p: Vec3): Vec3 {
  return [
    a[0][0] * p[0] + a[0][1] * p[1] + a[0][2] * p[2] + a[0][3],
    a[1][0] * p[0] + a[1][1] * p[1] + a[1][2] * p[2] + a[1][3],
    a[2][0] * p[0] + a[2][1] * p[1] + a[2][2] * p[2] + a[2][3],
  ];
}

/** Affine from spacing, origin and direction: linear = direction·diag(spacing), translation = origin. */
export function composeAffine(g: Geometry): Mat4 {
  const { spacing: s, direction: d } = g;
  if (!s.every((v) => Number.isFinite(v) && v > 0)) {
    throw new RangeError(`Cannot compose affine: spacing must be finite and > 0. Received: [${s.join(",")}]`);
  }
  const lin: Mat3 = [
    [d[0][0] * s[0], d[0][1] * s[1], d[0][2] * s[2]],
    [d[1][0] * s[0], d[1][1] * s[1], d[1][2] * s[2]],
    [d[2][0] * s[0], d[2][1] * s[1], d[2][2] * s[2]],
  ];
  return fromParts(lin, g.origin);
}

/**
 * Splits an affine into spacing (column norms), origin and direction (unit columns).
 * Shear survives as a non-orthonormal direction; check it with {@link orthonormalityError}.
 */
export function decomposeAffine(a: Mat4): Geometry {
  assertAffine(a);
  const lin = linearPart(a);
  const norm = (j: 0 | 1 | 2): number => Math.hypot(lin[0][j], lin[1][j], lin[2][j]);
  const spacing: Vec3 = [norm(0), norm(1), norm(2)];
  if (!spacing.every((v) => v > 0)) {
    throw new RangeError(`Cannot decompose affine: a voxel axis has zero length. Received: spacing=[${spacing.join(",")}]`);
  }
  const col = (r: 0 | 1 | 2): Vec3 => [lin[r][0] / spacing[0], lin[r][1] / spacing[1], lin[r][2] / spacing[2]];
  return { spacing, origin: translationPart(a), direction: [col(0), col(1), col(2)] };
}

/** Largest absolute entry of DᵀD − I: 0 for a rotation/reflection, grows with shear or scaling. */
export function orthonormalityError(d: Mat3): number {
  const dtd = mat3Mul(mat3Transpose(d), d);
  let err = 0;
  for (let r = 0; r < 3; r++) for (let c = 0; c < 3; c++) err = Math.max(err, Math.abs(dtd[r]![c]! - (r === c ? 1 : 0)));
  return err;
}

/** Whether a direction matrix is orthonormal within `tol` (default 1e-4, loose enough for float32 headers). */
export function isOrthonormal(d: Mat3, tol = 1e-4): boolean {
  return orthonormalityError(d) <= tol;
}

/**
 * The orthogonal matrix closest to `m` (polar factor, as nibabel's SVD-based io_orientation uses).
 * Newton iteration X ← (X + X⁻ᵀ)/2 converges quadratically for non-singular m (Higham 1986).
 */
export function closestOrthogonal(m: Mat3): Mat3 {
  let x = m;
  for (let it = 0; it < 100; it++) {
    const xit = mat3Transpose(mat3Inv(x));
    const next = x.map((row, r) => row.map((v, c) => (v + xit[r]![c]!) / 2)) as unknown as Mat3;
    const delta = Math.max(...next.flat().map((v, i) => Math.abs(v - x.flat()[i]!)));
    x = next;
    if (delta < 1e-15) break;
  }
  return x;
}

/** Largest absolute difference between two affines (or any equally shaped matrices). */
export function maxAbsDiff(a: readonly (readonly number[])[], b: readonly (readonly number[])[]): number {
  let d = 0;
  for (let r = 0; r < a.length; r++) {
    for (let c = 0; c < a[r]!.length; c++) d = Math.max(d, Math.abs(a[r]![c]! - (b[r]?.[c] ?? NaN)));
  }
  return Number.isNaN(d) ? Infinity : d;
}

/** Largest per-entry relative difference between two affines. */
export function relativeAffineDiff(a: Mat4, b: Mat4): number {
  let d = 0;
  for (let r = 0; r < 3; r++) {
    for (let c = 0; c < 4; c++) {
      const x = a[r]![c]!;
      const y = b[r]![c]!;
      d = Math.max(d, Math.abs(x - y) / Math.max(1, Math.abs(x), Math.abs(y)));
    }
  }
  return d;
}
