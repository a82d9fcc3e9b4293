// Organ shapes of the phantom, as implicit solids in millimetres, and the fine tissue grid they
// are painted into. Three kinds:
// - ellipsoid: a rotated ellipsoid;
// - blob: a rotated ellipsoid seen through a smooth random displacement field (a few sinusoidal
//   plane waves with wavelengths comparable to the organ), so its surface bulges and dents;
// - tube: a vessel along a gently curving centre line, with a radius that varies along it.

import type { PhantomRng } from "./rng.js";

export type Vec3 = [number, number, number];
type Mat3 = [Vec3, Vec3, Vec3];

/**
 * A supersampled grid of tissue ids (0 air, 1 body, 2… organs): `factor`³ fine voxels per image
 * voxel, fine voxel centres placed evenly inside each image voxel.
 */
export interface FineGrid {
  readonly tissue: Uint8Array;
  /** Fine grid size: image shape × factor. */
  readonly shape: readonly [number, number, number];
  readonly factor: number;
  /** Image voxel size (mm). */
  readonly spacing: readonly [number, number, number];
}

/** Fine voxel index → mm along an axis (image voxel i has its centre at i·spacing). */
function fineToMm(g: FineGrid, a: number, I: number): number {
  return ((I + 0.5) / g.factor - 0.5) * g.spacing[a]!;
}

/** Inclusive fine-index range of the voxels whose centres lie in [lo, hi] mm, clipped to the grid. */
function fineRange(g: FineGrid, a: number, lo: number, hi: number): [number, number] {
  const f = g.factor;
  const s = g.spacing[a]!;
  return [Math.max(0, Math.ceil((lo / s + 0.5) * f - 0.5)), Math.min(g.shape[a]! - 1, Math.floor((hi / s + 0.5) * f - 0.5))];
}

/** Sets `id` on every fine voxel in the mm box [lo, hi] whose centre satisfies `inside`. */
export function paintRegion(g: FineGrid, lo: Vec3, hi: Vec3, id: number, inside: (x: number, y: number, z: number) => boolean): void {
  const [i0, i1] = fineRange(g, 0, lo[0], hi[0]);
  const [j0, j1] = fineRange(g, 1, lo[1], hi[1]);
  const [k0, k1] = fineRange(g, 2, lo[2], hi[2]);
  const [nx, ny] = g.shape;
  const xs = new Float64Array(Math.max(0, i1 - i0 + 1));
  for (let i = i0; i <= i1; i++) xs[i - i0] = fineToMm(g, 0, i);
  for (let k = k0; k <= k1; k++) {
    const z = fineToMm(g, 2, k);
    for (let j = j0; j <= j1; j++) {
      const y = fineToMm(g, 1, j);
      const row = nx * (j + ny * k);
      for (let i = i0; i <= i1; i++) if (inside(xs[i - i0]!, y, z)) g.tissue[row + i] = id;
    }
  }
}

/** Paints an axis-aligned ellipsoid row by row (each row's span solved in closed form): the body. */
export function paintAxisEllipsoid(g: FineGrid, center: Vec3, radii: Vec3, id: number): void {
  const [nx, ny, nz] = g.shape;
  const f = g.factor;
  const [, sy, sz] = g.spacing;
  for (let k = 0; k < nz; k++) {
    const dz = (((k + 0.5) / f - 0.5) * sz - center[2]) / radii[2];
    for (let j = 0; j < ny; j++) {
      const dy = (((j + 0.5) / f - 0.5) * sy - center[1]) / radii[1];
      const q = 1 - dz * dz - dy * dy;
      if (q < 0) continue;
      const half = radii[0] * Math.sqrt(q);
      const [i0, i1] = fineRange(g, 0, center[0] - half, center[0] + half);
      if (i1 < i0) continue;
      const row = nx * (j + ny * k);
      g.tissue.fill(id, row + i0, row + i1 + 1);
    }
  }
}

/** An organ's solid: where it is, how big it nominally is, and how to paint it. */
export interface OrganSolid {
  readonly kind: "ellipsoid" | "blob" | "tube";
  /** Centre (mm). */
  readonly center: Vec3;
  /** Semi-axes (ellipsoid, blob) or [radius, radius, half length] (tube), mm. */
  readonly radii: Vec3;
  /** Volume of the undeformed solid (mm³), before occlusion by later organs and clipping. */
  readonly nominalVolume: number;
  /** Radius of a sphere around `center` that holds the solid (mm). */
  readonly reach: number;
  paint(g: FineGrid, id: number): void;
}

/** A random rotation (product of rotations about z, y, x by uniform angles). */
function randomRotation(rng: PhantomRng): Mat3 {
  const [a, b, c] = [rng.uniform(0, 2 * Math.PI), rng.uniform(0, 2 * Math.PI), rng.uniform(0, 2 * Math.PI)];
  const [ca, sa, cb, sb, cc, sc] = [Math.cos(a), Math.sin(a), Math.cos(b), Math.sin(b), Math.cos(c), Math.sin(c)];
  return [
    [ca * cb, ca * sb * sc - sa * cc, ca * sb * cc + sa * sc],
    [sa * cb, sa * sb * sc + ca * cc, sa * sb * cc - ca * sc],
    [-sb, cb * sc, cb * cc],
  ];
}

interface Wave {
  readonly amp: Vec3;
  readonly k: Vec3;
  readonly phase: number;
}

/** A rotated ellipsoid, optionally deformed by a smooth displacement field (a blob). */
export function ellipsoidSolid(rng: PhantomRng, center: Vec3, radii: Vec3, deform: boolean): OrganSolid {
  const R = randomRotation(rng);
  const mean = (radii[0] + radii[1] + radii[2]) / 3;
  const waves: Wave[] = [];
  if (deform) {
    // Amplitude × wavenumber stays below 1, so the field folds nothing and the blob stays one piece.
    for (let w = 0; w < 3; w++) {
      const a = rng.direction();
      const d = rng.direction();
      const amp = 0.13 * mean;
      const k = (2 * Math.PI) / rng.uniform(1.4 * mean, 2.6 * mean);
      waves.push({ amp: [a[0] * amp, a[1] * amp, a[2] * amp], k: [d[0] * k, d[1] * k, d[2] * k], phase: rng.uniform(0, 2 * Math.PI) });
    }
  }
  const inv: Vec3 = [1 / radii[0], 1 / radii[1], 1 / radii[2]];
  const slack = waves.reduce((s, w) => s + Math.hypot(...w.amp), 0);
  const reach = Math.max(...radii) + slack;
  const inside = (x: number, y: number, z: number): boolean => {
    let px = x - center[0];
    let py = y - center[1];
    let pz = z - center[2];
    for (const w of waves) {
      const s = Math.sin(w.k[0] * px + w.k[1] * py + w.k[2] * pz + w.phase);
      px += w.amp[0] * s;
      py += w.amp[1] * s;
      pz += w.amp[2] * s;
    }
    // Coordinates in the ellipsoid's own frame: Rᵀ·p.
    const u = (R[0][0] * px + R[1][0] * py + R[2][0] * pz) * inv[0];
    const v = (R[0][1] * px + R[1][1] * py + R[2][1] * pz) * inv[1];
    const t = (R[0][2] * px + R[1][2] * py + R[2][2] * pz) * inv[2];
    return u * u + v * v + t * t <= 1;
  };
  return {
    kind: deform ? "blob" : "ellipsoid",
    center,
    radii,
    nominalVolume: (4 / 3) * Math.PI * radii[0] * radii[1] * radii[2],
    reach,
    paint(g, id) {
      paintRegion(g, [center[0] - reach, center[1] - reach, center[2] - reach], [center[0] + reach, center[1] + reach, center[2] + reach], id, inside);
    },
  };
}

/** Number of straight pieces a tube's centre line is drawn with. */
const TUBE_SEGMENTS = 32;

/**
 * A tube of radius ≈ `radius` whose centre line runs from `center − halfLength·dir` to
 * `center + halfLength·dir`, bent sideways by two smooth sinusoids.
 */
export function tubeSolid(rng: PhantomRng, center: Vec3, dir: Vec3, halfLength: number, radius: number): OrganSolid {
  // Two unit vectors perpendicular to dir for the bends.
  const helper: Vec3 = Math.abs(dir[0]) < 0.9 ? [1, 0, 0] : [0, 1, 0];
  const e1 = normalize(cross(dir, helper));
  const e2 = cross(dir, e1);
  const bends = [1, 2].map((m) => ({ m, a1: rng.uniform(-0.12, 0.12) * halfLength, a2: rng.uniform(-0.12, 0.12) * halfLength / m, phase: rng.uniform(0, 2 * Math.PI) }));
  const wobble = rng.uniform(0, 2 * Math.PI);
  const point = (t: number): Vec3 => {
    const s = (2 * t - 1) * halfLength;
    const p: Vec3 = [center[0] + dir[0] * s, center[1] + dir[1] * s, center[2] + dir[2] * s];
    for (const b of bends) {
      const w = Math.sin(Math.PI * b.m * t + b.phase) - Math.sin(b.phase) * (1 - t) - Math.sin(Math.PI * b.m + b.phase) * t;
      for (let a = 0; a < 3; a++) p[a]! += (b.a1 * e1[a]! + b.a2 * e2[a]!) * w;
    }
    return p;
  };
  const pts = Array.from({ length: TUBE_SEGMENTS + 1 }, (_, i) => point(i / TUBE_SEGMENTS));
  const radiusAt = (t: number) => radius * (1 + 0.15 * Math.sin(2 * Math.PI * t + wobble));
  let length = 0;
  let volume = 0;
  for (let i = 0; i < TUBE_SEGMENTS; i++) {
    const l = dist(pts[i]!, pts[i + 1]!);
    length += l;
    volume += Math.PI * radiusAt((i + 0.5) / TUBE_SEGMENTS) ** 2 * l;
  }
  const reach = Math.max(...pts.map((p) => dist(p, center))) + radius * 1.15;
  return {
    kind: "tube",
    center,
    radii: [radius, radius, length / 2],
    nominalVolume: volume,
    reach,
    paint(g, id) {
      for (let i = 0; i < TUBE_SEGMENTS; i++) {
        const a = pts[i]!;
        const b = pts[i + 1]!;
        const r = radiusAt((i + 0.5) / TUBE_SEGMENTS);
        const ab: Vec3 = [b[0] - a[0], b[1] - a[1], b[2] - a[2]];
        const len2 = ab[0] ** 2 + ab[1] ** 2 + ab[2] ** 2;
        const lo: Vec3 = [Math.min(a[0], b[0]) - r, Math.min(a[1], b[1]) - r, Math.min(a[2], b[2]) - r];
        const hi: Vec3 = [Math.max(a[0], b[0]) + r, Math.max(a[1], b[1]) + r, Math.max(a[2], b[2]) + r];
        // Capsules around consecutive pieces overlap at the joints, so the tube has no seams.
        paintRegion(g, lo, hi, id, (x, y, z) => {
          const px = x - a[0];
          const py = y - a[1];
          const pz = z - a[2];
          const t = Math.min(1, Math.max(0, (px * ab[0] + py * ab[1] + pz * ab[2]) / len2));
          const dx = px - t * ab[0];
          const dy = py - t * ab[1];
          const dz = pz - t * ab[2];
          return dx * dx + dy * dy + dz * dz <= r * r;
        });
      }
    },
  };
}

function cross(a: Vec3, b: Vec3): Vec3 {
  return [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
}

function normalize(a: Vec3): Vec3 {
  const n = Math.hypot(...a);
  return [a[0] / n, a[1] / n, a[2] / n];
}

function dist(a: Vec3, b: Vec3): number {
  return Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);
}
