// Bidirectional copy-paste (BCP): a random cuboid of one image pasted into another, both ways
// between a labelled and an unlabelled image, with per-voxel loss weights that trust the
// unlabelled image's pseudo-labels less.
import { type Generator, type Tensor, ShapeError, isFloatingDType, randint, tensor, tidy, where } from "../../tensor/index.js";
import { sameShape } from "./_internal/checks.js";

/** A box on a (D, H, W) grid: first voxel and extent per axis. */
export interface Cuboid {
  start: [number, number, number];
  size: [number, number, number];
}

export interface CuboidMaskOptions {
  /** Cuboid size per axis as a fraction of the grid (⌊ratio·n⌋, at least 1). @default 2/3 */
  ratio?: number | readonly [number, number, number];
  /** Draws the position; a seeded Generator makes the mask reproducible. @default libtorch's default generator */
  generator?: Generator;
}

/**
 * A cuboid mask: true inside a box of ⌊ratio·n⌋ voxels per axis at a uniformly random position
 * (start drawn per axis D, H, W in that order from [0, n − size]).
 * - Paper: Bai et al., BCP, arXiv:2305.00673 (a cuboid of 2/3 of each side on LA)
 * @param shape (D, H, W)
 * @returns the bool mask (D, H, W) and the box
 * @example const { mask } = cuboidMask([80, 112, 112], { generator: new Generator(seed) });
 */
export function cuboidMask(shape: readonly [number, number, number], opts: CuboidMaskOptions = {}): { mask: Tensor; box: Cuboid } {
  const op = "cuboidMask";
  if (shape.length !== 3 || !shape.every((n) => Number.isInteger(n) && n > 0)) throw new RangeError(`${op}: shape must be 3 positive integers (D, H, W). Received: [${shape.join(",")}]`);
  const r = opts.ratio ?? 2 / 3;
  const ratios = typeof r === "number" ? [r, r, r] : [...r];
  if (ratios.length !== 3 || !ratios.every((v) => v > 0 && v <= 1)) throw new RangeError(`${op}: ratio must be in (0, 1], one value or three. Received: ${JSON.stringify(r)}`);
  const size = shape.map((n, i) => Math.max(1, Math.floor((ratios[i] as number) * n + 1e-9))) as [number, number, number];
  const start = shape.map((n, i) =>
    tidy(() => randint(0, n - size[i]! + 1, [1], opts.generator ? { generator: opts.generator } : {}).item()),
  ) as [number, number, number];
  const [d, h, w] = shape;
  const data = new Uint8Array(d * h * w);
  for (let z = start[0]; z < start[0] + size[0]; z++) {
    for (let y = start[1]; y < start[1] + size[1]; y++) {
      const row = (z * h + y) * w;
      data.fill(1, row + start[2], row + start[2] + size[2]);
    }
  }
  return { mask: tensor(data, [d, h, w], { dtype: "bool" }), box: { start, size } };
}

/** A mixed batch and the loss weight of each voxel. */
export interface MixedBatch {
  /** (N, C, D, H, W) in the images' dtype. */
  images: Tensor;
  /** int64 (N, D, H, W). */
  labels: Tensor;
  /** (N, D, H, W) in the images' dtype: 1 where the voxel came from the labelled image, unlabelledWeight elsewhere. */
  weights: Tensor;
}

export interface CopyPasteInput {
  /** Labelled images (N, C, D, H, W) and their labels (N, D, H, W) or (N, 1, D, H, W). */
  labelledImages: Tensor;
  labelledLabels: Tensor;
  /** Unlabelled images (N, C, D, H, W), paired with the labelled ones sample by sample, and their pseudo-labels. */
  unlabelledImages: Tensor;
  unlabelledLabels: Tensor;
  /** bool (D, H, W) (one cuboid for the batch) or (N, D, H, W); true = the cuboid. */
  mask: Tensor;
  /** Loss weight of voxels that come from the unlabelled image. @default 0.5 */
  unlabelledWeight?: number;
}

/** Both directions of bidirectional copy-paste. */
export interface CopyPasteBatches {
  /** The labelled image's cuboid pasted into the unlabelled image. */
  labelledIntoUnlabelled: MixedBatch;
  /** The unlabelled image's cuboid pasted into the labelled image. */
  unlabelledIntoLabelled: MixedBatch;
}

/**
 * Bidirectional copy-paste of images, labels and loss weights with a cuboid mask M:
 * labelledIntoUnlabelled = M·labelled + (1 − M)·unlabelled, unlabelledIntoLabelled = M·unlabelled + (1 − M)·labelled
 * (labels likewise), weights 1 on labelled voxels and `unlabelledWeight` on unlabelled ones. Pass
 * the weights as the `mask` of diceCELoss. For BCP's labelled-only pre-training, mix two labelled
 * batches with unlabelledWeight 1.
 * - Paper: Bai et al., BCP, arXiv:2305.00673
 * @example
 * const { mask } = cuboidMask([d, h, w], { generator });
 * const mixed = copyPasteMix({ labelledImages, labelledLabels, unlabelledImages, unlabelledLabels: pseudo, mask });
 */
export function copyPasteMix(input: CopyPasteInput): CopyPasteBatches {
  const op = "copyPasteMix";
  const { labelledImages: xl, unlabelledImages: xu, mask } = input;
  const alpha = input.unlabelledWeight ?? 0.5;
  if (!Number.isFinite(alpha) || alpha < 0) throw new RangeError(`${op}: unlabelledWeight must be a finite number >= 0. Received: ${alpha}`);
  if (xl.rank !== 5 || !isFloatingDType(xl.dtype)) throw new ShapeError(op, "labelledImages (N, C, D, H, W), floating point", xl.shape);
  if (!sameShape(xl.shape, xu.shape)) throw new ShapeError(op, `unlabelledImages of the labelled images' shape [${xl.shape.join(",")}]`, xu.shape);
  const [n, , d, h, w] = xl.shape as [number, number, number, number, number];
  if (mask.dtype !== "bool") throw new TypeError(`Cannot run ${op}: mask must be bool. Received: ${mask.dtype}`);
  if (!sameShape(mask.shape, [d, h, w]) && !sameShape(mask.shape, [n, d, h, w])) throw new ShapeError(op, `mask (${d}, ${h}, ${w}) or (${n}, ${d}, ${h}, ${w})`, mask.shape);
  const labelsOf = (name: string, t: Tensor): Tensor => {
    if (isFloatingDType(t.dtype)) throw new TypeError(`Cannot run ${op}: ${name} must be an integer label map. Received: ${t.dtype}`);
    if (sameShape(t.shape, [n, d, h, w])) return t.to("int64");
    if (sameShape(t.shape, [n, 1, d, h, w])) return t.squeeze(1).to("int64");
    throw new ShapeError(op, `${name} (${n}, ${d}, ${h}, ${w}) or (${n}, 1, ${d}, ${h}, ${w})`, t.shape);
  };
  return tidy(() => {
    const yl = labelsOf("labelledLabels", input.labelledLabels);
    const yu = labelsOf("unlabelledLabels", input.unlabelledLabels);
    const m4 = mask.rank === 3 ? mask.unsqueeze(0) : mask; // (1 or N, D, H, W)
    const m5 = m4.unsqueeze(1);
    const full = [n, d, h, w];
    const inside = m4.to(xl.dtype).expand(full);
    // w = α + M(1 − α) when the cuboid is labelled, 1 − M(1 − α) when it is unlabelled.
    const wLabelledCuboid = inside.mul(1 - alpha).add(alpha).contiguous();
    const wUnlabelledCuboid = inside.mul(alpha - 1).add(1).contiguous();
    return {
      labelledIntoUnlabelled: { images: where(m5, xl, xu), labels: where(m4, yl, yu), weights: wLabelledCuboid },
      unlabelledIntoLabelled: { images: where(m5, xu, xl), labels: where(m4, yu, yl), weights: wUnlabelledCuboid },
    };
  });
}
