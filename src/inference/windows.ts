// Where the windows go. Along each axis the first window starts at 0 and the last ends at the
// volume's edge; in between, starts are spread evenly so that consecutive windows overlap by at
// least `overlap` of the patch. Windows never leave the volume (smaller volumes are padded first).

import type { Size3 } from "./gaussian.js";

/**
 * Window start positions along one axis.
 * @param size volume length (≥ patch)
 * @param patch window length
 * @param overlap fraction of the patch shared by neighbours, in [0, 1)
 * @example windowStarts(10, 4, 0.5); // [0, 2, 4, 6]
 */
export function windowStarts(size: number, patch: number, overlap: number): number[] {
  if (!Number.isSafeInteger(size) || !Number.isSafeInteger(patch) || patch < 1 || size < patch) {
    throw new RangeError(`Cannot place windows: need integers with 1 <= patch <= size. Received: size=${size}, patch=${patch}`);
  }
  checkOverlap(overlap);
  if (size === patch) return [0];
  const step = Math.max(1, Math.floor(patch * (1 - overlap)));
  const count = Math.ceil((size - patch) / step) + 1;
  const span = size - patch;
  const out: number[] = [];
  for (let i = 0; i < count; i++) out.push(Math.round((i * span) / (count - 1)));
  return out;
}

/** Throws RangeError unless 0 <= overlap < 1. */
export function checkOverlap(overlap: number): void {
  if (!(overlap >= 0 && overlap < 1)) throw new RangeError(`overlap must be in [0, 1). Received: ${overlap}`);
}

/** Window starts per axis (D, H, W) for a volume at least as large as the patch. */
export function windowGrid(shape: Size3, patch: Size3, overlap: number): [number[], number[], number[]] {
  return [0, 1, 2].map((a) => windowStarts(shape[a]!, patch[a]!, overlap)) as [number[], number[], number[]];
}

/** Number of windows (before mirroring) the sliding window runs for a (D, H, W) volume. */
export function windowCount(shape: Size3, patch: Size3, overlap: number): number {
  const padded = shape.map((n, a) => Math.max(n, patch[a]!)) as unknown as Size3;
  return windowGrid(padded, patch, overlap).reduce((p, s) => p * s.length, 1);
}
