// Elastic deformation field: independent normal offsets (standard deviation `magnitude` voxels)
// at control points every `gridSpacing` voxels, trilinearly interpolated to every patch voxel. The
// coarse grid gives the same smoothness as Gaussian-filtering a dense noise field at a fraction of
// the cost, which matters for large patches in worker threads.
import type { Rng } from "../random/index.js";

/** Displacements for a patch (x, y, z): three planes of px·py·pz values (x, then y, then z components). */
export function elasticField(patch: readonly number[], gridSpacing: number, magnitude: number, rng: Rng): Float32Array {
  const [px, py, pz] = patch as [number, number, number];
  const P = px * py * pz;
  const g = patch.map((p) => Math.max(2, Math.ceil((p - 1) / gridSpacing) + 1)) as [number, number, number];
  const G = g[0] * g[1] * g[2];
  const ctrl = new Float32Array(3 * G);
  for (let i = 0; i < ctrl.length; i++) ctrl[i] = rng.normal() * magnitude;
  const out = new Float32Array(3 * P);
  // Patch voxel o maps to control coordinate o·(g−1)/(p−1) (edges aligned).
  const scale = patch.map((p, a) => (p > 1 ? (g[a]! - 1) / (p - 1) : 0));
  let o = 0;
  for (let z = 0; z < pz; z++) {
    const gz = z * scale[2]!, z0 = Math.min(Math.floor(gz), g[2] - 2), fz = gz - z0;
    for (let y = 0; y < py; y++) {
      const gy = y * scale[1]!, y0 = Math.min(Math.floor(gy), g[1] - 2), fy = gy - y0;
      for (let x = 0; x < px; x++, o++) {
        const gx = x * scale[0]!, x0 = Math.min(Math.floor(gx), g[0] - 2), fx = gx - x0;
        for (let comp = 0; comp < 3; comp++) {
          let acc = 0;
          for (let c = 0; c < 8; c++) {
            const ix = x0 + (c & 1), iy = y0 + ((c >> 1) & 1), iz = z0 + (c >> 2);
            const w = (c & 1 ? fx : 1 - fx) * ((c >> 1) & 1 ? fy : 1 - fy) * (c >> 2 ? fz : 1 - fz);
            acc += w * ctrl[comp * G + ix + g[0] * (iy + g[1] * iz)]!;
          }
          out[comp * P + o] = acc;
        }
      }
    }
  }
  return out;
}
