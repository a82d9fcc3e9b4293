// The networks door: configurable 3-D encoder-decoders (U-Net, V-Net and their heterogeneous
// variants) as values of one NetworkConfig, with mask, contrastive and deep-supervision heads.
export type {
  ActivationConfig,
  ActivationKind,
  BlockKind,
  ContrastiveHeadConfig,
  DecoderConfig,
  DownsampleKind,
  DropoutConfig,
  EncoderConfig,
  InitKind,
  NetworkConfig,
  NormConfig,
  NormKind,
  ResolvedDecoderConfig,
  ResolvedNetworkConfig,
  SkipFusion,
  UpsampleKind,
} from "./config.js";
export { resolveNetworkConfig, sizeDivisor } from "./resolve.js";
export { unetConfig, vnetConfig } from "./presets.js";
export { ConvNormAct, ResidualBlock, Upsample, ModuleList, type BlockSettings, type ConvNormActOptions } from "./blocks.js";
export { Encoder, EncoderLevel } from "./encoder.js";
export { Decoder, DecoderLevel, type DecoderFeatures } from "./decoder.js";
export { MaskHead, ContrastiveHead, DecoderHeads } from "./heads.js";
export {
  SegmentationNetwork,
  decoderOutputs,
  type DecoderOutput,
  type ForwardOptions,
  type NetworkBuildOptions,
  type NetworkOutput,
} from "./segmentation-network.js";
