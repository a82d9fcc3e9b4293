// Patch extraction and spatial augmentation in one resampling pass. Every output voxel o of the
// patch is mapped to a source position in the case, src = centre + M·(o − (p−1)/2) + e(o), where M
// combines rotation and zoom (applied in millimetres, so anisotropic voxels rotate correctly) and
// e is an optional elastic displacement field. Images are sampled trilinearly, label maps and box
// masks by nearest neighbour, both with 0 outside the case — so labels and images always stay
// aligned, and a case smaller than the patch is padded on the fly. Without a transform, the
// centre lies on the voxel grid and the patch is an exact crop.
import type { CaseBox, LabelArray, PreprocessedCase } from "../preprocess/index.js";
import type { Rng } from "../random/index.js";
import type { AugmentationConfig } from "./config.js";
import { elasticField } from "./elastic.js";

type Vec3 = [number, number, number];

/** A drawn spatial transform: 3×3 row-major matrix (output offset -> source offset, voxels, x y z) and optional displacements. */
export interface SpatialParams {
  readonly matrix: readonly number[];
  /** Per output voxel source displacement (x, y, z planes of P values each), or null. */
  readonly elastic: Float32Array | null;
}

function rotation(ax: number, ay: number, az: number): number[] {
  const [cx, sx, cy, sy, cz, sz] = [Math.cos(ax), Math.sin(ax), Math.cos(ay), Math.sin(ay), Math.cos(az), Math.sin(az)];
  const rx = [1, 0, 0, 0, cx, -sx, 0, sx, cx];
  const ry = [cy, 0, sy, 0, 1, 0, -sy, 0, cy];
  const rz = [cz, -sz, 0, sz, cz, 0, 0, 0, 1];
  return mul3(rz, mul3(ry, rx));
}

function mul3(a: readonly number[], b: readonly number[]): number[] {
  const o = new Array<number>(9).fill(0);
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) for (let k = 0; k < 3; k++) o[3 * i + j]! += a[3 * i + k]! * b[3 * k + j]!;
  return o;
}

/**
 * Draws rotation, zoom and elastic parameters (in this order, each only when its probability hits),
 * or null when none applies. Rotation is only about the coarsest axis when the spacing is
 * anisotropic (max/min > 3): rotating thick slices out of plane would invent data.
 */
export function drawSpatialParams(cfg: AugmentationConfig, rng: Rng, spacing: readonly number[], patch: readonly number[]): SpatialParams | null {
  let r: number[] | null = null;
  let zoom = 1;
  let elastic: Float32Array | null = null;
  if (rng.chance(cfg.rotation.p)) {
    const rad = () => (rng.uniform(cfg.rotation.degrees[0], cfg.rotation.degrees[1]) * Math.PI) / 180;
    const anisotropic = Math.max(...spacing) > 3 * Math.min(...spacing);
    if (anisotropic) {
      const coarse = spacing.indexOf(Math.max(...spacing));
      const angles: Vec3 = [0, 0, 0];
      angles[coarse] = rad();
      r = rotation(...angles);
    } else r = rotation(rad(), rad(), rad());
  }
  if (rng.chance(cfg.scaling.p)) zoom = rng.uniform(cfg.scaling.range[0], cfg.scaling.range[1]);
  if (rng.chance(cfg.elastic.p)) {
    const magnitude = rng.uniform(cfg.elastic.magnitude[0], cfg.elastic.magnitude[1]);
    elastic = elasticField(patch, cfg.elastic.gridSpacing, magnitude, rng);
  }
  if (r === null && zoom === 1 && elastic === null) return null;
  // Output offsets are voxels; rotate in mm: M = S⁻¹ · Rᵀ/zoom · S with S = diag(spacing).
  const rm = r ?? [1, 0, 0, 0, 1, 0, 0, 0, 1];
  const m = new Array<number>(9);
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) m[3 * i + j] = (rm[3 * j + i]! * spacing[j]!) / (spacing[i]! * zoom);
  return { matrix: m, elastic };
}

/** Where a sample's arrays go: image (C·P values), label (P) and box masks (K·P), each at an element offset. */
export interface PatchTarget {
  image: Float32Array;
  imageOffset: number;
  label: LabelArray | null;
  labelOffset: number;
  /** One channel per foreground class value v (channel v − 1). */
  boxMask: Uint8Array | null;
  boxOffset: number;
  boxChannels: number;
}

/**
 * Samples a patch of size `patch` (x, y, z) around `centre` (continuous case voxel coordinates)
 * under `params` (null: exact crop) into `target`. The label is read from `pc.label` and boxes from
 * `pc.boxes`, when the target asks for them.
 */
export function extractPatch(pc: PreprocessedCase, centre: readonly number[], patch: readonly number[], params: SpatialParams | null, target: PatchTarget): void {
  const [px, py, pz] = patch as Vec3;
  const [nx, ny, nz] = pc.shape;
  const P = px * py * pz;
  const N = nx * ny * nz;
  const C = pc.channels;
  const img = pc.image;
  const lab = target.label ? pc.label : null;
  const boxes: readonly CaseBox[] = target.boxMask && pc.boxes ? pc.boxes : [];
  const m = params?.matrix ?? [1, 0, 0, 0, 1, 0, 0, 0, 1];
  const el = params?.elastic ?? null;
  const hx = (px - 1) / 2, hy = (py - 1) / 2, hz = (pz - 1) / 2;
  const [cx, cy, cz] = centre as Vec3;
  let o = 0;
  for (let oz = 0; oz < pz; oz++) {
    for (let oy = 0; oy < py; oy++) {
      for (let ox = 0; ox < px; ox++, o++) {
        const dx = ox - hx, dy = oy - hy, dz = oz - hz;
        let sx = cx + m[0]! * dx + m[1]! * dy + m[2]! * dz;
        let sy = cy + m[3]! * dx + m[4]! * dy + m[5]! * dz;
        let sz = cz + m[6]! * dx + m[7]! * dy + m[8]! * dz;
        if (el) {
          sx += el[o]!;
          sy += el[P + o]!;
          sz += el[2 * P + o]!;
        }
        // Trilinear image sample with zero outside the case.
        const x0 = Math.floor(sx), y0 = Math.floor(sy), z0 = Math.floor(sz);
        const fx = sx - x0, fy = sy - y0, fz = sz - z0;
        for (let c = 0; c < C; c++) {
          let acc = 0;
          for (let corner = 0; corner < 8; corner++) {
            const ix = x0 + (corner & 1), iy = y0 + ((corner >> 1) & 1), iz = z0 + (corner >> 2);
            if (ix < 0 || iy < 0 || iz < 0 || ix >= nx || iy >= ny || iz >= nz) continue;
            const w = (corner & 1 ? fx : 1 - fx) * ((corner >> 1) & 1 ? fy : 1 - fy) * (corner >> 2 ? fz : 1 - fz);
            if (w !== 0) acc += w * img[c * N + ix + nx * (iy + ny * iz)]!;
          }
          target.image[target.imageOffset + c * P + o] = acc;
        }
        if (lab === null && boxes.length === 0) continue;
        const rx = Math.round(sx), ry = Math.round(sy), rz = Math.round(sz);
        const inside = rx >= 0 && ry >= 0 && rz >= 0 && rx < nx && ry < ny && rz < nz;
        if (lab && target.label) target.label[target.labelOffset + o] = inside ? lab[rx + nx * (ry + ny * rz)]! : 0;
        if (target.boxMask && inside) {
          for (const b of boxes) {
            if (b.value < 1 || b.value > target.boxChannels) continue;
            if (rx >= b.min[0] && rx < b.max[0] && ry >= b.min[1] && ry < b.max[1] && rz >= b.min[2] && rz < b.max[2]) {
              target.boxMask[target.boxOffset + (b.value - 1) * P + o] = 1;
            }
          }
        }
      }
    }
  }
}
