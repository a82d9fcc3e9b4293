// Resolution-changing intensity augmentations on one channel of a patch (x fastest, then y, z):
// separable Gaussian blur and low-resolution simulation (nearest downsampling, trilinear
// upsampling back to the patch grid).

type Vec3 = readonly [number, number, number];

/** A normalised Gaussian kernel truncated at 3 sigma. */
function kernel(sigma: number): Float64Array {
  const r = Math.max(1, Math.ceil(3 * sigma));
  const k = new Float64Array(2 * r + 1);
  let sum = 0;
  for (let i = -r; i <= r; i++) sum += k[i + r] = Math.exp(-(i * i) / (2 * sigma * sigma));
  for (let i = 0; i < k.length; i++) k[i] = k[i]! / sum;
  return k;
}

/** Blurs in place with per-axis sigmas (voxels; 0 skips an axis). Borders repeat the edge voxel. */
export function gaussianBlur(x: Float32Array, patch: Vec3, sigma: Vec3): void {
  const strides = [1, patch[0], patch[0] * patch[1]];
  const line = new Float64Array(Math.max(...patch));
  for (let axis = 0; axis < 3; axis++) {
    const s = sigma[axis]!;
    const n = patch[axis]!;
    if (!(s > 0) || n < 2) continue;
    const k = kernel(s);
    const r = (k.length - 1) / 2;
    const stride = strides[axis]!;
    const others = [0, 1, 2].filter((a) => a !== axis);
    const [a1, a2] = others as [number, number];
    for (let u = 0; u < patch[a1]!; u++) {
      for (let v = 0; v < patch[a2]!; v++) {
        const start = u * strides[a1]! + v * strides[a2]!;
        for (let i = 0; i < n; i++) line[i] = x[start + i * stride]!;
        for (let i = 0; i < n; i++) {
          let acc = 0;
          for (let t = -r; t <= r; t++) acc += k[t + r]! * line[Math.min(n - 1, Math.max(0, i + t))]!;
          x[start + i * stride] = acc;
        }
      }
    }
  }
}

/**
 * Simulates a low-resolution acquisition in place: nearest downsampling of each axis by `zoom`
 * (0 < zoom ≤ 1) and trilinear upsampling back, which loses detail but keeps the intensity range.
 */
export function simulateLowResolution(x: Float32Array, patch: Vec3, zoom: number): void {
  const small = patch.map((n) => Math.max(1, Math.round(n * zoom))) as unknown as Vec3;
  if (small.every((n, a) => n === patch[a])) return;
  const [sx, sy, sz] = small;
  const [px, py, pz] = patch;
  const low = new Float32Array(sx * sy * sz);
  // Centre-aligned mapping between grids: coordinate u on one grid is (u + 0.5)·n/m − 0.5 on the other.
  const near = (u: number, m: number, n: number) => Math.min(n - 1, Math.max(0, Math.round((u + 0.5) * (n / m) - 0.5)));
  let o = 0;
  for (let z = 0; z < sz; z++) for (let y = 0; y < sy; y++) for (let xx = 0; xx < sx; xx++) low[o++] = x[near(xx, sx, px) + px * (near(y, sy, py) + py * near(z, sz, pz))]!;
  const coord = (u: number, n: number, m: number): [number, number, number] => {
    const c = Math.min(m - 1, Math.max(0, (u + 0.5) * (m / n) - 0.5));
    const lo = Math.min(Math.floor(c), m - 1);
    const hi = Math.min(lo + 1, m - 1);
    return [lo, hi, c - lo];
  };
  o = 0;
  for (let z = 0; z < pz; z++) {
    const [z0, z1, fz] = coord(z, pz, sz);
    for (let y = 0; y < py; y++) {
      const [y0, y1, fy] = coord(y, py, sy);
      for (let xx = 0; xx < px; xx++, o++) {
        const [x0, x1, fx] = coord(xx, px, sx);
        const at = (i: number, j: number, k: number) => low[i + sx * (j + sy * k)]!;
        const c0 = (at(x0, y0, z0) * (1 - fx) + at(x1, y0, z0) * fx) * (1 - fy) + (at(x0, y1, z0) * (1 - fx) + at(x1, y1, z0) * fx) * fy;
        const c1 = (at(x0, y0, z1) * (1 - fx) + at(x1, y0, z1) * fx) * (1 - fy) + (at(x0, y1, z1) * (1 - fx) + at(x1, y1, z1) * fx) * fy;
        x[o] = c0 * (1 - fz) + c1 * fz;
      }
    }
  }
}
