// FBA-Net's contrastive module: from a decoder's logits to one foreground and one background
// embedding per image. The MLPs' input width is the number of activation-map voxels, so it is
// derived here from the patch size the module is built for (the published module hard-codes one
// patch size; any other patch silently needed a code change).
import { type Tensor, ShapeError, avgPool3d, tidy } from "../../tensor/index.js";
import { ReLU } from "../activations.js";
import { BatchNorm3d } from "../batch-norm3d.js";
import { Conv3d } from "../conv3d.js";
import { type LayerOptions, type Triple, positiveInt, triple } from "../_internal/layer-options.js";
import { Linear } from "../linear.js";
import { Module } from "../module.js";
import { Sequential } from "../sequential.js";

export interface FBAContrastiveHeadOptions extends LayerOptions {
  /** Spatial size (D, H, W) of the logits the head will see: the training patch. */
  patchSize: Triple;
  /** Channels of the logits (the number of classes). @default 2 */
  inChannels?: number;
  /** Size of each embedding. @default 128 */
  embeddingDim?: number;
  /** Width of each MLP's hidden layer; 0 makes each MLP a single Linear layer. @default 128 */
  hiddenDim?: number;
  /** Zero padding of the stride-2 3×3×3 convolution. @default 1 (the map is ⌈D/2⌉ × ⌈H/2⌉ × ⌈W/2⌉) */
  padding?: number;
  /**
   * Average-pool the activation map by this kernel (stride = kernel) before it is flattened.
   * Not in the paper: 1 (no pooling) reproduces it; larger values shrink the MLPs' first layer,
   * which holds (map voxels × hiddenDim) weights — 16 M per MLP for 112×112×80 patches.
   * @default 1
   */
  pool?: Triple;
  /**
   * "mean": the MLPs read vec(A)/M and vec(1 − A)/M, M = map voxels (the paper). "none": vec(A) and
   * vec(1 − A). With "mean" and the default initialisation the image-dependent part of each
   * embedding is ~1/M of the bias part, so every foreground–foreground similarity sits above the
   * 0.9995 clamp and the loss has no gradient (measured: cos > 0.99999 for 16³ patches); "none"
   * keeps the similarities inside the clamps. The two are the same model up to a rescaled first
   * layer, but not under SGD (M² times smaller effective step on that layer).
   * @default "mean"
   */
  inputScale?: "mean" | "none";
}

/** The two embeddings of each image, and the activation map they come from. */
export interface FBAEmbeddings {
  /** (N, embeddingDim): MLP_f(vec(A) / M) (M = 1 with inputScale "none"). */
  foreground: Tensor;
  /** (N, embeddingDim): MLP_b(vec(1 − A) / M). */
  background: Tensor;
  /** The foreground activation map A (N, 1, d, h, w), values in (0, 1), before any pooling. */
  activation: Tensor;
}

/** Output length of a convolution or pooling window along one axis. */
function outLength(n: number, kernel: number, stride: number, padding: number): number {
  return Math.floor((n + 2 * padding - kernel) / stride) + 1;
}

/**
 * Conv3d(C→1, 3×3×3, stride 2) → BatchNorm3d → sigmoid gives a foreground activation map A;
 * z_f = vec(A)/M and z_b = vec(1 − A)/M (M = number of map voxels) each go through their own MLP
 * (Linear → ReLU → Linear) to one embedding per image. Gradients flow back into the logits, so the
 * contrastive loss on the embeddings trains the segmentation network — provided the similarities
 * stay inside the loss's clamps: see `inputScale`.
 * - Paper: Chung et al., FBA-Net, arXiv:2306.15189 (contrastive module)
 * @example
 * const head = new FBAContrastiveHead({ patchSize: [80, 112, 112] }); // logits (N, 2, 80, 112, 112)
 * const { foreground, background } = head.forward(logits);            // (N, 128) each
 */
export class FBAContrastiveHead extends Module {
  readonly patchSize: readonly [number, number, number];
  /** Spatial size of the activation map A. */
  readonly mapSize: readonly [number, number, number];
  readonly pool: readonly [number, number, number];
  /** Input width of each MLP: the voxels of the (pooled) activation map. */
  readonly inputFeatures: number;
  readonly embeddingDim: number;
  readonly inputScale: "mean" | "none";
  readonly conv: Conv3d;
  readonly bn: BatchNorm3d;
  readonly foregroundMlp: Sequential;
  readonly backgroundMlp: Sequential;

  constructor(opts: FBAContrastiveHeadOptions) {
    super();
    this.patchSize = triple(opts.patchSize, "FBAContrastiveHead patchSize", 1);
    const inChannels = positiveInt(opts.inChannels ?? 2, "FBAContrastiveHead inChannels");
    this.embeddingDim = positiveInt(opts.embeddingDim ?? 128, "FBAContrastiveHead embeddingDim");
    const hidden = opts.hiddenDim ?? 128;
    if (!Number.isInteger(hidden) || hidden < 0) throw new RangeError(`FBAContrastiveHead hiddenDim must be a non-negative integer. Received: ${hidden}`);
    const padding = opts.padding ?? 1;
    if (!Number.isInteger(padding) || padding < 0) throw new RangeError(`FBAContrastiveHead padding must be a non-negative integer. Received: ${padding}`);
    this.pool = triple(opts.pool ?? 1, "FBAContrastiveHead pool", 1);
    this.inputScale = opts.inputScale ?? "mean";
    if (this.inputScale !== "mean" && this.inputScale !== "none") throw new RangeError(`FBAContrastiveHead inputScale must be "mean" or "none". Received: ${String(this.inputScale)}`);
    const map = this.patchSize.map((n) => outLength(n, 3, 2, padding));
    const pooled = map.map((m, i) => outLength(m, this.pool[i] as number, this.pool[i] as number, 0));
    if (pooled.some((m) => m < 1)) {
      throw new RangeError(`FBAContrastiveHead: patchSize [${this.patchSize.join(",")}] is too small for a stride-2 3×3×3 conv (padding ${padding}) and pool [${this.pool.join(",")}]`);
    }
    this.mapSize = map as [number, number, number];
    this.inputFeatures = pooled.reduce((a, b) => a * b, 1);

    const layer = { generator: opts.generator, dtype: opts.dtype };
    this.conv = this.registerModule("conv", new Conv3d(inChannels, 1, 3, { stride: 2, padding, ...layer }));
    this.bn = this.registerModule("bn", new BatchNorm3d(1, { dtype: opts.dtype }));
    const mlp = () =>
      hidden === 0
        ? new Sequential(new Linear(this.inputFeatures, this.embeddingDim, layer))
        : new Sequential(new Linear(this.inputFeatures, hidden, layer), new ReLU(), new Linear(hidden, this.embeddingDim, layer));
    this.foregroundMlp = this.registerModule("foregroundMlp", mlp());
    this.backgroundMlp = this.registerModule("backgroundMlp", mlp());
  }

  /**
   * @param logits (N, C, D, H, W) with (D, H, W) = patchSize
   * @returns foreground and background embeddings (N, embeddingDim) and the activation map (N, 1, d, h, w)
   * @throws ShapeError when the logits are not (N, C, ...patchSize)
   */
  forward(logits: Tensor): FBAEmbeddings {
    const [d, h, w] = this.patchSize;
    const c = this.conv.inChannels;
    if (logits.rank !== 5 || logits.shape[1] !== c || logits.shape[2] !== d || logits.shape[3] !== h || logits.shape[4] !== w) {
      throw new ShapeError("FBAContrastiveHead", `(N, ${c}, ${d}, ${h}, ${w}) logits (the patch size the head was built for)`, logits.shape);
    }
    return tidy(() => {
      const activation = this.bn.forward(this.conv.forward(logits)).sigmoid();
      const pooled = this.pool.every((k) => k === 1) ? activation : avgPool3d(activation, this.pool);
      const flat = pooled.flatten(1);
      const divisor = this.inputScale === "mean" ? this.inputFeatures : 1;
      const foreground = this.foregroundMlp.forward(flat.div(divisor));
      const background = this.backgroundMlp.forward(flat.neg().add(1).div(divisor));
      return { foreground, background, activation };
    });
  }
}
