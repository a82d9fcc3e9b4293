// Boxes as triangle meshes for niivue's 3-D view: each box is drawn as its twelve edges, every
// edge a thin square rod, so the organ inside stays visible (a solid box would hide it). Corners
// are the world positions of the voxel box's outer edges (voxel idx covers [idx − 0.5, idx + 0.5]),
// the same region the slice views outline.
import { applyAffine, type Mat4, type Vec3 as VVec3 } from "../../src/volume/index.js";
import type { VoxelBox } from "./api.js";

/** Vertices (x, y, z triples, mm) and triangles (vertex index triples) of one mesh. */
export interface MeshData {
  readonly pts: Float32Array;
  readonly tris: Uint32Array;
}

type V = [number, number, number];
const sub = (a: V, b: V): V => [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
const add = (a: V, b: V, s = 1): V => [a[0] + s * b[0], a[1] + s * b[1], a[2] + s * b[2]];
const cross = (a: V, b: V): V => [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
const unit = (a: V): V => {
  const n = Math.hypot(a[0], a[1], a[2]) || 1;
  return [a[0] / n, a[1] / n, a[2] / n];
};

/** The 8 world corners of a voxel box, index bits (i, j, k) = (corner & 1, corner & 2, corner & 4). */
export function boxCorners(box: VoxelBox, affine: Mat4): V[] {
  const out: V[] = [];
  for (let c = 0; c < 8; c++) {
    const p: VVec3 = [c & 1 ? box.max[0] - 0.5 : box.min[0] - 0.5, c & 2 ? box.max[1] - 0.5 : box.min[1] - 0.5, c & 4 ? box.max[2] - 0.5 : box.min[2] - 0.5];
    const w = applyAffine(affine, p);
    out.push([w[0], w[1], w[2]]);
  }
  return out;
}

/** Corner pairs joined by an edge (they differ in one index bit). */
const EDGES: readonly (readonly [number, number])[] = [0, 1, 2, 3, 4, 5, 6, 7].flatMap((a) => [1, 2, 4].filter((bit) => !(a & bit)).map((bit) => [a, a | bit] as const));

/** One rod's 8 vertices, and its 12 triangles relative to the first vertex. */
function rod(p: V, q: V, half: number, pts: number[], tris: number[]): void {
  const d = unit(sub(q, p));
  // Any vector not parallel to d gives the rod's cross-section axes.
  const helper: V = Math.abs(d[0]) < 0.9 ? [1, 0, 0] : [0, 1, 0];
  const u = unit(cross(d, helper));
  const v = cross(d, u);
  const base = pts.length / 3;
  // Extend the rod by its half width past both corners so neighbouring edges meet without a gap.
  const ends = [add(p, d, -half), add(q, d, half)];
  for (const e of ends) for (const [su, sv] of [[-1, -1], [1, -1], [1, 1], [-1, 1]] as const) pts.push(...add(add(e, u, su * half), v, sv * half));
  for (let s = 0; s < 4; s++) {
    const a = s;
    const b = (s + 1) % 4;
    tris.push(base + a, base + b, base + 4 + b, base + a, base + 4 + b, base + 4 + a);
  }
  tris.push(base, base + 2, base + 1, base, base + 3, base + 2, base + 4, base + 5, base + 6, base + 4, base + 6, base + 7);
}

/**
 * The wireframe of a voxel box in world coordinates.
 * @param thickness rod width in mm
 * @example const { pts, tris } = boxWireframe({ min: [2, 2, 2], max: [6, 5, 4] }, affine, 0.8); // 96 vertices, 144 triangles
 */
export function boxWireframe(box: VoxelBox, affine: Mat4, thickness: number): MeshData {
  const corners = boxCorners(box, affine);
  const pts: number[] = [];
  const tris: number[] = [];
  for (const [a, b] of EDGES) rod(corners[a]!, corners[b]!, thickness / 2, pts, tris);
  return { pts: Float32Array.from(pts), tris: Uint32Array.from(tris) };
}
