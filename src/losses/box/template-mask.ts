// The template as a region prior: the template organ's mask, cropped to its bounding box, is
// stretched into each complete box (as the point template is placed by the Chamfer prior) and the
// prediction inside the box is pulled toward it with a soft Dice. The Chamfer term only moves the
// predicted surface where one exists; this term also says which part of the box is the organ, which
// is what a box leaves open for thin or curved organs (a hippocampus fills 13–20 % of its box).
import { type Tensor, arange, cat, indexSelect, interpolate, tensor, tidy } from "../../tensor/index.js";
import type { BoxOrientation, PatchBox3 } from "./boxes.js";
import { type BoxActivation, foregroundProbabilities, organChannels } from "./probabilities.js";
import { cropSample, maskRegions, zeroLoss } from "./regions.js";

export interface TemplateMaskLossOptions {
  /** See probabilities.ts. @default "softmax" */
  activation?: BoxActivation;
  /**
   * Per organ channel k, the template's occupancy (d, h, w) in [0, 1], cropped to the organ's
   * bounding box (`templateOccupancy`); missing ones use the ellipsoid inscribed in the box.
   */
  masks?: readonly (Tensor | null | undefined)[];
  /** Added to numerator and denominator of the soft Dice. @default 1 */
  smooth?: number;
}

/**
 * A template occupancy from one organ's mask: the mask cropped to its bounding box, as float.
 * @param mask (D, H, W), > 0 inside the organ
 * @returns (d, h, w) float32 in {0, 1}
 */
export function templateOccupancy(mask: Tensor): Tensor {
  if (mask.rank !== 3) throw new RangeError(`templateOccupancy: expected a mask (D, H, W). Received: [${mask.shape.join(",")}]`);
  return tidy(() => {
    const inside = mask.gt(0);
    const region = maskRegions(inside.unsqueeze(0).unsqueeze(0))[0]?.[0];
    if (!region) throw new RangeError("templateOccupancy: the mask is empty");
    return inside
      .slice(0, region.lo[0], region.hi[0])
      .slice(1, region.lo[1], region.hi[1])
      .slice(2, region.lo[2], region.hi[2])
      .to("float32")
      .contiguous();
  });
}

/**
 * The majority-vote shape of several cases' organ (a mean-shape template): each occupancy is
 * stretched (trilinear) to their mean bounding-box size, and a voxel is inside where at least half of
 * them are. One case's shape can be atypical; on hippocampus, the template of one case stretched into
 * the validation boxes scored Dice 0.62, the vote of five cases 0.69 (src/strategies/README.md).
 * @param occupancies (d, h, w) each, in [0, 1], cropped to the organ's bounding box (`templateOccupancy`)
 * @returns (d, h, w) float32 in {0, 1}, d, h, w the rounded mean sizes; never empty (falls back to the
 *   voxels most cases share when no voxel has a majority)
 */
export function meanOccupancy(occupancies: readonly Tensor[]): Tensor {
  const first = occupancies[0];
  if (!first) throw new RangeError("meanOccupancy: no occupancy given");
  occupancies.forEach((o, i) => {
    if (o.rank !== 3) throw new RangeError(`meanOccupancy: occupancy ${i} must be (d, h, w). Received: [${o.shape.join(",")}]`);
  });
  const size = [0, 1, 2].map((a) => Math.max(1, Math.round(occupancies.reduce((s, o) => s + (o.shape[a] as number), 0) / occupancies.length))) as [number, number, number];
  return tidy(() => {
    const stretched = occupancies.map((o) => interpolate(o.to("float32").unsqueeze(0).unsqueeze(0), { size, mode: "trilinear" }));
    const mean = cat(stretched, 0).mean(0).squeeze(0);
    const majority = mean.ge(0.5);
    const inside = majority.sum().item() > 0 ? majority : mean.ge(mean.max().item() - 1e-6);
    return inside.to("float32").contiguous();
  });
}

/** The occupancy as the patch shows it (`BoxOrientation`): axes permuted, then reversed where asked. */
export function orientOccupancy(occupancy: Tensor, orientation: BoxOrientation): Tensor {
  return tidy(() => {
    let t = occupancy.permute([...orientation.from]);
    orientation.reversed.forEach((r, a) => {
      if (!r) return;
      const n = t.shape[a] as number;
      t = indexSelect(t, a, arange(n - 1, -1, -1, { dtype: "int64", device: t.device }));
    });
    return t.contiguous();
  });
}

/** The ellipsoid inscribed in a box of `size` voxels, as 0/1 at voxel centres. */
function ellipsoidOccupancy(size: readonly [number, number, number], like: Tensor): Tensor {
  const [d, h, w] = size;
  const out = new Float32Array(d * h * w);
  for (let z = 0, i = 0; z < d; z++) {
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++, i++) {
        const r = ((2 * z + 1) / d - 1) ** 2 + ((2 * y + 1) / h - 1) ** 2 + ((2 * x + 1) / w - 1) ** 2;
        out[i] = r <= 1 ? 1 : 0;
      }
    }
  }
  return tensor(out, [d, h, w], { dtype: "float32", device: like.device });
}

/**
 * L = mean over complete boxes of 1 − (2Σ p t + s) / (Σ p + Σ t + s), p the organ's probability in the
 * box, t the template occupancy stretched (trilinear) to the box and oriented like the patch.
 * Boxes of organs cut by the patch are skipped (their template would be stretched into a part of
 * the organ). 0 with a zero gradient when no box applies.
 * @param logits (N, K+1, D, H, W) softmax logits, or (N, K, D, H, W) sigmoid logits / probabilities
 * @param boxes per sample, its clipped boxes with the complete flag (`resolveBoxes`)
 */
export function templateMaskLoss(logits: Tensor, boxes: readonly (readonly PatchBox3[])[], opts: TemplateMaskLossOptions = {}): Tensor {
  const op = "templateMaskLoss";
  const activation = opts.activation ?? "softmax";
  const K = organChannels(op, logits, activation);
  const N = logits.shape[0] as number;
  if (boxes.length !== N) throw new RangeError(`${op}: boxes must list ${N} samples. Received: ${boxes.length}`);
  const smooth = opts.smooth ?? 1;
  if (!(smooth >= 0)) throw new RangeError(`${op}: smooth must be >= 0. Received: ${smooth}`);
  return tidy(() => {
    const p = foregroundProbabilities(logits, activation);
    const terms: Tensor[] = [];
    for (const list of boxes) {
      for (const box of list) {
        if (!box.complete) continue;
        if (box.channel < 0 || box.channel >= K) throw new RangeError(`${op}: box channel ${box.channel} outside 0..${K - 1}`);
        const size = box.min.map((v, a) => box.max[a]! - v) as [number, number, number];
        const stored = opts.masks?.[box.channel];
        const target = stored
          ? interpolate((box.orientation ? orientOccupancy(stored, box.orientation) : stored).to(p.dtype).unsqueeze(0).unsqueeze(0), { size, mode: "trilinear" })
              .squeeze(0)
              .squeeze(0)
          : ellipsoidOccupancy(size, p).to(p.dtype);
        const pk = cropSample(p, box.sample, { lo: box.min, hi: box.max }).slice(1, box.channel, box.channel + 1).squeeze(0).squeeze(0);
        const inter = pk.mul(target).sum().mul(2).add(smooth);
        terms.push(inter.div(pk.sum().add(target.sum()).add(smooth)).neg().add(1));
      }
    }
    return terms.length === 0 ? zeroLoss(logits) : cat(terms.map((t) => t.reshape([1])), 0).mean();
  });
}
