// Boxes on the patch grid: clipping to the patch, the "organ completely inside" flag the shape prior
// needs, and dense (N, K, D, H, W) box masks for the projection, pairwise and contrastive terms.
import { type DType, type Device, type Tensor, tensor, tidy } from "../../tensor/index.js";

/** Three voxel indices in tensor axis order (d, h, w) = (z, y, x). */
export type Index3 = readonly [number, number, number];

/**
 * One organ's box in patch coordinates, as the data pipeline's `PatchBox` (structurally compatible).
 * The box may extend beyond the patch (negative `min`, `max` past the edge): it is clipped here.
 */
export interface BoxLike {
  /** Label value; its box channel is `value − 1` (channel 0 is the first organ, background has none). */
  readonly value: number;
  /** Voxel ranges [min, max) per axis (d, h, w), min inclusive, max exclusive. */
  readonly min: Index3;
  readonly max: Index3;
  /**
   * The pipeline's flag that the box region reaches the patch border (it clips boxes itself, so a
   * clipped box cannot be told from an inner one by its coordinates). True makes the box incomplete.
   */
  readonly touchesBorder?: boolean;
  /** How the patch was mirrored / turned relative to the case (the pipeline's flips). @default none */
  readonly orientation?: BoxOrientation;
}

/**
 * Patch axis a (d, h, w) shows the case's axis `from[a]`, reversed where `reversed[a]`: the data
 * pipeline's mirroring and quarter turns, which a template from another case must follow.
 */
export interface BoxOrientation {
  readonly from: Index3;
  readonly reversed: readonly [boolean, boolean, boolean];
}

/** A box after clipping, with what the losses need to know about it. */
export interface PatchBox3 {
  /** Sample index in the batch. */
  readonly sample: number;
  /** Box-mask channel (label value − 1). */
  readonly channel: number;
  readonly value: number;
  /** Clipped to the patch: 0 ≤ min < max ≤ size per axis. */
  readonly min: [number, number, number];
  readonly max: [number, number, number];
  /**
   * The organ lies completely inside the patch: the unclipped box is inside the patch with at least
   * `borderMargin` voxels to spare on every side, and the pipeline did not flag it as touching the
   * border. Only such boxes get the geometric prior (a cut organ does not look like its template).
   */
  readonly complete: boolean;
  /** See BoxLike.orientation; absent: the case's own axes. */
  readonly orientation?: BoxOrientation;
}

export interface ResolveBoxesOptions {
  /** K, the number of organ channels (label values 1..K). */
  channels: number;
  /** Voxels a box must keep from every patch face to count as complete. @default 0 */
  borderMargin?: number;
}

function checkIndex3(op: string, what: string, v: Index3): void {
  if (v.length !== 3 || !v.every((x) => Number.isInteger(x))) throw new RangeError(`${op}: ${what} must be three integers (d, h, w). Received: [${v.join(",")}]`);
}

function checkOrientation(op: string, n: number, o: BoxOrientation): BoxOrientation {
  const ok = o.from.length === 3 && [...o.from].sort().join() === "0,1,2" && o.reversed.length === 3 && o.reversed.every((r) => typeof r === "boolean");
  if (!ok) throw new RangeError(`${op}: sample ${n}: orientation must map the axes (d, h, w) one to one, e.g. { from: [0, 1, 2], reversed: [false, false, false] }. Received: ${JSON.stringify(o)}`);
  return o;
}

/**
 * Clips each sample's boxes to the patch and flags the complete ones. Boxes entirely outside the
 * patch are dropped (the organ is absent from it).
 * @param boxes per sample, its boxes (any order; at most one per label value)
 * @param patch (D, H, W) of the patch
 * @returns per sample, the boxes that intersect the patch, sorted by channel
 * @throws RangeError on a label value outside 1..K, a duplicate value in one sample, or an empty box
 */
export function resolveBoxes(boxes: readonly (readonly BoxLike[])[], patch: Index3, opts: ResolveBoxesOptions): PatchBox3[][] {
  const op = "resolveBoxes";
  const K = opts.channels;
  if (!Number.isInteger(K) || K < 1) throw new RangeError(`${op}: channels must be a positive integer. Received: ${K}`);
  checkIndex3(op, "patch", patch);
  const margin = opts.borderMargin ?? 0;
  if (!(margin >= 0)) throw new RangeError(`${op}: borderMargin must be >= 0. Received: ${margin}`);
  return boxes.map((list, n) => {
    const seen = new Set<number>();
    const out: PatchBox3[] = [];
    for (const b of list) {
      checkIndex3(op, "box min", b.min);
      checkIndex3(op, "box max", b.max);
      if (!Number.isInteger(b.value) || b.value < 1 || b.value > K) throw new RangeError(`${op}: sample ${n}: label value must be in 1..${K}. Received: ${b.value}`);
      if (seen.has(b.value)) throw new RangeError(`${op}: sample ${n} has a second box for label value ${b.value} (one box per organ)`);
      seen.add(b.value);
      if (b.min.some((m, a) => m >= (b.max[a] as number))) throw new RangeError(`${op}: sample ${n}: empty box, min [${b.min.join(",")}] max [${b.max.join(",")}]`);
      const min = b.min.map((m) => Math.max(0, m)) as [number, number, number];
      const max = b.max.map((m, a) => Math.min(patch[a] as number, m)) as [number, number, number];
      if (min.some((m, a) => m >= (max[a] as number))) continue; // outside the patch: the organ is absent here
      const inside = b.min.every((m, a) => m >= margin && (b.max[a] as number) <= (patch[a] as number) - margin);
      const complete = inside && b.touchesBorder !== true;
      out.push({ sample: n, channel: b.value - 1, value: b.value, min, max, complete, ...(b.orientation ? { orientation: checkOrientation(op, n, b.orientation) } : {}) });
    }
    return out.sort((x, y) => x.channel - y.channel);
  });
}

export interface BoxMaskOptions extends ResolveBoxesOptions {
  /** @default "float32" */
  dtype?: DType;
  /** @default "cpu" */
  device?: Device;
}

/** Dense masks and per-(sample, channel) flags of a batch's boxes. */
export interface BoxMasks {
  /** (N, K, D, H, W): 1 inside channel k's (clipped) box, else 0. */
  mask: Tensor;
  /** (N, K): 1 where the sample has a box of that channel intersecting the patch. */
  present: Tensor;
  /** (N, K): 1 where that box is complete (see PatchBox3.complete). */
  complete: Tensor;
  /** The clipped boxes per sample (host copies, for the shape prior and for logging). */
  boxes: PatchBox3[][];
}

/**
 * Box masks (N, K, D, H, W) from per-sample boxes in patch coordinates. Built as the outer product of
 * three 1-D indicator profiles per (sample, channel), so nothing of the mask's size is filled on the host.
 * @example const { mask, complete } = boxMasks(batch.boxes, [64, 64, 64], { channels: 3 });
 */
export function boxMasks(boxes: readonly (readonly BoxLike[])[], patch: Index3, opts: BoxMaskOptions): BoxMasks {
  const resolved = resolveBoxes(boxes, patch, opts);
  const N = boxes.length;
  const K = opts.channels;
  const [D, H, W] = patch;
  const profiles = [new Float64Array(N * K * D), new Float64Array(N * K * H), new Float64Array(N * K * W)];
  const present = new Float64Array(N * K);
  const complete = new Float64Array(N * K);
  for (const list of resolved) {
    for (const b of list) {
      const e = b.sample * K + b.channel;
      present[e] = 1;
      complete[e] = b.complete ? 1 : 0;
      for (let a = 0; a < 3; a++) {
        const L = patch[a] as number;
        (profiles[a] as Float64Array).fill(1, e * L + b.min[a]!, e * L + b.max[a]!);
      }
    }
  }
  const dtype = opts.dtype ?? "float32";
  const device = opts.device ?? "cpu";
  return tidy(() => {
    const pz = tensor(profiles[0] as Float64Array, [N, K, D, 1, 1], { dtype, device });
    const py = tensor(profiles[1] as Float64Array, [N, K, 1, H, 1], { dtype, device });
    const px = tensor(profiles[2] as Float64Array, [N, K, 1, 1, W], { dtype, device });
    return {
      mask: pz.mul(py).mul(px),
      present: tensor(present, [N, K], { dtype, device }),
      complete: tensor(complete, [N, K], { dtype, device }),
      boxes: resolved,
    };
  });
}
