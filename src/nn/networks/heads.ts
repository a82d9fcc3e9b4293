// Heads on a decoder's features: segmentation logits, a per-voxel contrastive embedding and the
// optional deep-supervision outputs.
import { type Tensor, ShapeError, normalize } from "../../tensor/index.js";
import { Conv3d } from "../conv3d.js";
import { Module } from "../module.js";
import { type BlockSettings, ConvNormAct, ModuleList } from "./blocks.js";

type Triple3 = [number, number, number];

/**
 * A 1×1×1 convolution from decoder features to per-class logits.
 * @example const head = new MaskHead(16, 3); const logits = head.forward(features); // (N,16,D,H,W) -> (N,3,D,H,W)
 */
export class MaskHead extends Module {
  readonly conv: Conv3d;

  constructor(inChannels: number, numClasses: number, s: Pick<BlockSettings, "generator" | "dtype"> = { generator: undefined, dtype: undefined }) {
    super();
    this.conv = this.registerModule("conv", new Conv3d(inChannels, numClasses, 1, { generator: s.generator, dtype: s.dtype }));
  }

  /** features (N, C, D, H, W) -> logits (N, numClasses, D, H, W) */
  forward(features: Tensor): Tensor {
    return this.conv.forward(features);
  }
}

/**
 * A small projection conv → norm → activation → 1×1×1 conv whose output is L2-normalised over
 * channels at every voxel, so the dot product of two voxels' embeddings is their cosine similarity.
 * - Paper: Du et al., weakly supervised segmentation from 3D boxes, arXiv:2302.02125
 */
export class ContrastiveHead extends Module {
  readonly hidden: ConvNormAct;
  readonly out: Conv3d;

  constructor(inChannels: number, hiddenChannels: number, dim: number, kernel: Triple3, s: BlockSettings) {
    super();
    this.hidden = this.registerModule("hidden", new ConvNormAct(inChannels, hiddenChannels, kernel, s));
    this.out = this.registerModule("out", new Conv3d(hiddenChannels, dim, 1, { bias: true, generator: s.generator, dtype: s.dtype }));
  }

  /** features (N, C, D, H, W) -> embedding (N, dim, D, H, W) with unit norm along dim 1 */
  forward(features: Tensor): Tensor {
    if (features.rank !== 5) throw new ShapeError("ContrastiveHead", "rank 5 (N, C, D, H, W)", features.shape);
    const h = this.hidden.forward(features);
    const e = this.out.forward(h);
    h.dispose();
    const n = normalize(e, 2, 1);
    e.dispose();
    return n;
  }
}

/** The heads of one decoder. */
export class DecoderHeads extends Module {
  readonly mask: MaskHead;
  readonly contrastive: ContrastiveHead | null;
  /** Index k is the head on decoder level k+1. */
  readonly deepSupervision: ModuleList<MaskHead> | null;

  constructor(mask: MaskHead, contrastive: ContrastiveHead | null, deepSupervision: ModuleList<MaskHead> | null) {
    super();
    this.mask = this.registerModule("mask", mask);
    this.contrastive = contrastive ? this.registerModule("contrastive", contrastive) : null;
    this.deepSupervision = deepSupervision ? this.registerModule("deepSupervision", deepSupervision) : null;
  }

  /** Heads are called one by one by the network; this container has no single forward. */
  forward(): never {
    throw new TypeError("DecoderHeads is a container: call mask.forward(), contrastive.forward(), ...");
  }
}
