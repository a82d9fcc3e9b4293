// Exact spatial augmentations on patch arrays: mirroring along an axis and rotation by multiples
// of 90° in a plane. They permute voxels without interpolation, so they run after the resampling
// pass and apply identically to images, labels and box masks.
import type { Rng } from "../random/index.js";
import type { AugmentationConfig } from "./config.js";

type Vec3 = readonly [number, number, number];
type AnyArray = Float32Array | Uint8Array | Uint16Array;

/** Which exact transforms a sample gets. */
export interface FlipParams {
  /** Mirror along x, y, z. */
  readonly mirror: readonly [boolean, boolean, boolean];
  /** Quarter turns (1–3) in the plane of the two axes, or null. */
  readonly rot90: { readonly axes: readonly [number, number]; readonly k: number } | null;
}

const AXIS = { x: 0, y: 1, z: 2 } as const;

/**
 * Draws mirroring (per configured axis, in x, y, z order) and rot90 (a plane whose axes have the same
 * patch edge and spacing — "isotropic in plane" — and 1–3 quarter turns).
 */
export function drawFlipParams(cfg: AugmentationConfig, rng: Rng, spacing: readonly number[], patch: Vec3): FlipParams {
  const mirror: [boolean, boolean, boolean] = [false, false, false];
  for (const name of ["x", "y", "z"] as const) if (cfg.mirror.axes.includes(name)) mirror[AXIS[name]] = rng.chance(cfg.mirror.p);
  let rot90: FlipParams["rot90"] = null;
  if (rng.chance(cfg.rot90.p)) {
    const planes = ([[0, 1], [0, 2], [1, 2]] as const).filter(([a, b]) => patch[a] === patch[b] && Math.abs(spacing[a]! - spacing[b]!) <= 1e-6 * Math.max(spacing[a]!, spacing[b]!));
    if (planes.length > 0) rot90 = { axes: rng.pick(planes), k: 1 + rng.int(3) };
  }
  return { mirror, rot90 };
}

/** Mirrors `channels` volumes of shape `patch` stored at `offset` of `arr`, along `axis`, in place. */
export function mirrorAxis(arr: AnyArray, offset: number, channels: number, patch: Vec3, axis: number): void {
  const [px, py, pz] = patch;
  const stride = [1, px, px * py][axis]!;
  const n = patch[axis]!;
  const P = px * py * pz;
  for (let c = 0; c < channels; c++) {
    const base = offset + c * P;
    for (let z = 0; z < pz; z++) {
      for (let y = 0; y < py; y++) {
        for (let x = 0; x < px; x++) {
          const pos = [x, y, z][axis]!;
          if (pos >= n - 1 - pos) continue; // swap each pair once
          const i = base + x + px * (y + py * z);
          const j = i + (n - 1 - 2 * pos) * stride;
          const t = arr[i]!;
          arr[i] = arr[j]!;
          arr[j] = t;
        }
      }
    }
  }
}

/** Rotates by k quarter turns in the plane (a, b) (equal edges), in place: (u, v) <- (v', ...) one turn = (i, j) -> (n-1-j, i). */
export function rotate90(arr: AnyArray, offset: number, channels: number, patch: Vec3, axes: readonly [number, number], k: number): void {
  const [a, b] = axes;
  const n = patch[a]!;
  if (patch[b] !== n) throw new RangeError(`rotate90 needs equal edges in the plane. Received: ${patch[a]} and ${patch[b]}`);
  const P = patch[0] * patch[1] * patch[2];
  const strides = [1, patch[0], patch[0] * patch[1]];
  const tmp = arr.slice(0, 0) as AnyArray;
  const copy = new (tmp.constructor as new (n: number) => AnyArray)(P);
  const turns = ((k % 4) + 4) % 4;
  for (let c = 0; c < channels; c++) {
    const base = offset + c * P;
    for (let t = 0; t < turns; t++) {
      copy.set(arr.subarray(base, base + P));
      for (let z = 0; z < patch[2]; z++) {
        for (let y = 0; y < patch[1]; y++) {
          for (let x = 0; x < patch[0]; x++) {
            const p = [x, y, z];
            const i = p[a]!, j = p[b]!;
            const dst = x + patch[0] * (y + patch[1] * z);
            // One quarter turn: out(i, j) = in(j, n-1-i).
            const src = dst + (j - i) * strides[a]! + (n - 1 - i - j) * strides[b]!;
            arr[base + dst] = copy[src]!;
          }
        }
      }
    }
  }
}

/**
 * How a patch's axes relate to the case's after the exact transforms: patch axis a shows the case's
 * axis `from[a]`, reversed where `reversed[a]`. Tensor axis order (d, h, w) = (z, y, x). Shape terms
 * need it: a template drawn from the case's anatomy must be mirrored and turned like the image.
 */
export interface PatchOrientation {
  readonly from: readonly [number, number, number];
  readonly reversed: readonly [boolean, boolean, boolean];
}

/** The orientation `applyFlips` gives a patch (mirroring first, then the quarter turns), in (d, h, w) order. */
export function flipOrientation(f: FlipParams): PatchOrientation {
  // In (x, y, z) order while composing; flipped to (d, h, w) at the end.
  const from = [0, 1, 2];
  const reversed = [...f.mirror];
  if (f.rot90) {
    const [a, b] = f.rot90.axes;
    for (let t = 0; t < ((f.rot90.k % 4) + 4) % 4; t++) {
      // One quarter turn, out(i, j) = in(j, n−1−i): output axis a reads input axis b reversed, b reads a.
      const [fa, ra, fb, rb] = [from[a]!, reversed[a]!, from[b]!, reversed[b]!];
      from[a] = fb;
      reversed[a] = !rb;
      from[b] = fa;
      reversed[b] = ra;
    }
  }
  return { from: [2 - from[2]!, 2 - from[1]!, 2 - from[0]!], reversed: [reversed[2]!, reversed[1]!, reversed[0]!] };
}

/** Applies drawn flip parameters to one volume stack in place. */
export function applyFlips(arr: AnyArray, offset: number, channels: number, patch: Vec3, f: FlipParams): void {
  f.mirror.forEach((on, axis) => {
    if (on) mirrorAxis(arr, offset, channels, patch, axis);
  });
  if (f.rot90) rotate90(arr, offset, channels, patch, f.rot90.axes, f.rot90.k);
}
