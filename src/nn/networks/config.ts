// The network configuration: one typed object describes every encoder-decoder the strategies need
// (nnU-Net-style U-Nets, the V-Net of the semi-supervised literature, ResNet-encoder and
// multi-decoder variants). Variants are values of this object, never subclasses.
import type { Triple } from "../_internal/layer-options.js";

export type NormKind = "batch" | "instance" | "group" | "none";
export type ActivationKind = "relu" | "leaky-relu" | "gelu";
/**
 * How the encoder halves (or otherwise strides) the resolution between levels:
 * - "max-pool": max pooling, then the level's convolutions change the channel count (classic U-Net);
 * - "strided-conv": a separate conv-norm-act block with kernel = stride changes resolution and
 *   channels, then the level's convolutions keep them (V-Net);
 * - "strided-first-conv": the level's first convolution strides (nnU-Net).
 */
export type DownsampleKind = "max-pool" | "strided-conv" | "strided-first-conv";
/**
 * How a decoder upsamples: a transposed convolution with kernel = stride, or trilinear / nearest
 * interpolation followed by a convolution with the level's kernel (the three FBA-Net+ / MC-Net+
 * decoders).
 */
export type UpsampleKind = "transposed" | "trilinear" | "nearest";
/** "plain": conv-norm-act layers; "residual": ResNet basic blocks (two convs and a shortcut each). */
export type BlockKind = "plain" | "residual";
/** How a decoder joins the upsampled map with the encoder's skip: channel concatenation (U-Net) or sum (V-Net). */
export type SkipFusion = "concat" | "add";
export type InitKind = "torch-default" | "he";

export interface NormConfig {
  kind: NormKind;
  /** Channel groups for "group" (every level's channel count must be divisible by it). @default 8 */
  groups?: number;
  /** Learn a per-channel scale and shift. @default true */
  affine?: boolean;
  /** @default 1e-5 */
  eps?: number;
  /** Running-statistics momentum for "batch". @default 0.1 */
  momentum?: number;
}

export interface ActivationConfig {
  kind: ActivationKind;
  /** Slope for x < 0 with "leaky-relu". @default 0.01 */
  negativeSlope?: number;
}

export interface DropoutConfig {
  /** Drop probability; 0 disables dropout everywhere. */
  p: number;
  /** Drop whole channels (Dropout3d) rather than single voxels. @default true */
  channelwise?: boolean;
  /** After the bottleneck (deepest encoder level), as the V-Net of UA-MT. @default true */
  bottleneck?: boolean;
  /** After each decoder's last level, before the heads, as the V-Net of UA-MT. @default true */
  decoderOutput?: boolean;
  /** After every convolution, before its norm (nnU-Net's ConvDropoutNormNonlin). @default false */
  blocks?: boolean;
}

export interface EncoderConfig {
  /** @default "plain" */
  block?: BlockKind;
  /** Layers ("plain") or residual blocks ("residual") per level, one number for all levels or one per level. */
  depths?: number | readonly number[];
  downsample?: DownsampleKind;
}

export interface DecoderConfig {
  upsample?: UpsampleKind;
  /** Layers or residual blocks per decoder level, for levels 0 .. levels-2 (top first). */
  depths?: number | readonly number[];
  fusion?: SkipFusion;
  /** Norm and activation after the upsampling convolution (V-Net: true; nnU-Net: false). */
  upsampleNormAct?: boolean;
  /** @default "plain" */
  block?: BlockKind;
}

export interface ContrastiveHeadConfig {
  /** Embedding channels. @default 16 */
  dim?: number;
  /** Channels of the hidden layer. @default the decoder's top-level channel count */
  hiddenChannels?: number;
  /** Kernel of the hidden convolution (the output convolution is 1×1×1). @default 1 */
  kernelSize?: Triple;
}

/**
 * A 3-D encoder-decoder segmentation network: encoder → one or more decoders → per-decoder heads.
 * Every field is optional; the defaults describe an nnU-Net-style U-Net (see unetConfig), and
 * vnetConfig() fills the V-Net of the semi-supervised literature.
 */
export interface NetworkConfig {
  /** @default 1 */
  inChannels?: number;
  /** Output classes of the mask head, background included. @default 2 */
  numClasses?: number;
  /** Resolution levels (including the bottleneck). @default 5, or channels.length */
  levels?: number;
  /** Channels at level 0. @default 32 */
  baseFilters?: number;
  /** Channels grow by this factor per level. @default 2 */
  channelMultiplier?: number;
  /** Channel cap (nnU-Net's 320 in 3-D); null for none. @default 320 */
  maxFilters?: number | null;
  /** Explicit channels per level (overrides baseFilters, channelMultiplier, maxFilters). */
  channels?: readonly number[];
  /**
   * Convolution kernel (odd sizes): one number or one [D, H, W] triple for every level, or one per
   * level, e.g. [[1, 3, 3], 3, 3]. Three plain numbers always mean one triple for every level.
   * @default 3
   */
  kernelSizes?: Triple | readonly Triple[];
  /** Stride into each level (strides[0] must be 1), e.g. [[1,1,1],[1,2,2],[2,2,2],...]. @default [1, 2, 2, ...] */
  strides?: readonly Triple[];
  /** @default { kind: "instance", affine: true } */
  norm?: NormKind | NormConfig;
  /** @default { kind: "leaky-relu", negativeSlope: 0.01 } */
  activation?: ActivationKind | ActivationConfig;
  /** Bias in the convolutions (a norm's shift makes it redundant but SSL4MIS's V-Net has it). @default true */
  convBias?: boolean;
  /** A probability (bottleneck and decoder outputs, channelwise) or a full config. @default 0 */
  dropout?: number | DropoutConfig;
  /** @default { block: "plain", depths: 2, downsample: "strided-first-conv" } */
  encoder?: EncoderConfig;
  /** Settings shared by every decoder. @default { upsample: "transposed", depths: 2, fusion: "concat", upsampleNormAct: false } */
  decoder?: DecoderConfig;
  /** One entry per decoder sharing the encoder, each merged over `decoder`. @default [{}] (one decoder) */
  decoders?: readonly DecoderConfig[];
  /** Auxiliary 1×1×1 heads on the lower decoder levels (nnU-Net deep supervision). @default false */
  deepSupervision?: boolean;
  /** A per-voxel L2-normalised embedding head; true for the defaults; false or null for none. @default false */
  contrastiveHead?: boolean | ContrastiveHeadConfig | null;
  /** "torch-default": PyTorch's layer init; "he": Kaiming normal weights and zero biases (nnU-Net). @default "he" */
  init?: InitKind;
}

type Triple3 = [number, number, number];

export interface ResolvedDecoderConfig {
  upsample: UpsampleKind;
  depths: number[];
  fusion: SkipFusion;
  upsampleNormAct: boolean;
  block: BlockKind;
}

/** A NetworkConfig with every default filled in and every list expanded per level (JSON-serialisable). */
export interface ResolvedNetworkConfig {
  inChannels: number;
  numClasses: number;
  channels: number[];
  kernelSizes: Triple3[];
  strides: Triple3[];
  norm: Required<NormConfig>;
  activation: Required<ActivationConfig>;
  convBias: boolean;
  dropout: Required<DropoutConfig>;
  encoder: { block: BlockKind; depths: number[]; downsample: DownsampleKind };
  decoders: ResolvedDecoderConfig[];
  deepSupervision: boolean;
  contrastiveHead: { dim: number; hiddenChannels: number; kernelSize: Triple3 } | null;
  init: InitKind;
}
