// Test shapes (node-free, never exported): label maps painted with spheres, ellipsoids, boxes and
// seeded noise on a voxel grid, in physical (mm) coordinates of voxel centres.
import type { GridShape, Spacing } from "../label-map.js";

export type Vec = readonly [number, number, number];

/** A blank label map. */
export function blank(shape: GridShape): Uint8Array {
  return new Uint8Array(shape[0] * shape[1] * shape[2]);
}

/** Paints `value` where inside(x, y, z) holds, (x, y, z) the voxel centre in mm. */
export function paint(m: Uint8Array, shape: GridShape, spacing: Spacing, value: number, inside: (x: number, y: number, z: number) => boolean): Uint8Array {
  const [nx, ny, nz] = shape;
  for (let k = 0, i = 0; k < nz; k++) {
    for (let j = 0; j < ny; j++) {
      for (let l = 0; l < nx; l++, i++) if (inside(l * spacing[0], j * spacing[1], k * spacing[2])) m[i] = value;
    }
  }
  return m;
}

export const ellipsoid = (c: Vec, r: Vec) => (x: number, y: number, z: number) =>
  ((x - c[0]) / r[0]) ** 2 + ((y - c[1]) / r[1]) ** 2 + ((z - c[2]) / r[2]) ** 2 <= 1;
export const sphere = (c: Vec, r: number) => ellipsoid(c, [r, r, r]);
/** Axis-aligned box in mm, [lo, hi] inclusive. */
export const cuboid = (lo: Vec, hi: Vec) => (x: number, y: number, z: number) =>
  x >= lo[0] && x <= hi[0] && y >= lo[1] && y <= hi[1] && z >= lo[2] && z <= hi[2];

/** Mulberry32; deterministic noise for tests. */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Sets each voxel to `value` with probability p (else leaves it), seeded. */
export function sprinkle(m: Uint8Array, p: number, value: number, seed: number): Uint8Array {
  const r = rng(seed);
  for (let i = 0; i < m.length; i++) if (r() < p) m[i] = value;
  return m;
}

/** The map shifted by (dx, dy, dz) voxels (zeros shifted in). */
export function shifted(m: Uint8Array, shape: GridShape, d: Vec): Uint8Array {
  const [nx, ny, nz] = shape;
  const out = new Uint8Array(m.length);
  for (let k = 0; k < nz; k++) {
    for (let j = 0; j < ny; j++) {
      for (let i = 0; i < nx; i++) {
        const si = i - d[0];
        const sj = j - d[1];
        const sk = k - d[2];
        if (si >= 0 && si < nx && sj >= 0 && sj < ny && sk >= 0 && sk < nz) out[i + nx * (j + ny * k)] = m[si + nx * (sj + ny * sk)]!;
      }
    }
  }
  return out;
}
