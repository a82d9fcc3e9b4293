// Named starting points for NetworkConfig. Each returns a plain config (overrides applied), so a
// variant is a value: vnetConfig({ decoders: [{ upsample: "transposed" }, { upsample: "trilinear" }] }).
import type { NetworkConfig } from "./config.js";

function levelsOf(o: NetworkConfig, fallback: number): number {
  return o.levels ?? o.channels?.length ?? fallback;
}

/**
 * The V-Net used by the semi-supervised literature (UA-MT, SSL4MIS, MC-Net, FBA-Net): 16 base
 * filters doubling over 5 levels, batch norm, ReLU, 3×3×3 convolutions with bias, 1-2-3-3-3
 * convolutions per encoder level and 3-3-2-1 per decoder level (bottom up), strided-conv
 * downsampling and transposed-conv upsampling each followed by norm and ReLU, additive skips, and
 * channel dropout (p = 0.5) after the bottleneck and the last decoder level. With the defaults it
 * has 9,448,866 parameters. `encoder`/`decoder` overrides merge into the preset's; other fields replace.
 * - Paper: V-Net, arXiv:1606.04797; as used in UA-MT, arXiv:1907.07034
 * @example const cfg = vnetConfig({ numClasses: 2, dropout: 0 });
 */
export function vnetConfig(overrides: NetworkConfig = {}): NetworkConfig {
  const levels = levelsOf(overrides, 5);
  // 1, 2, 3, 3, 3 convolutions per level, from the top; the decoder mirrors it without the bottleneck.
  const depth = (i: number) => Math.min(i + 1, 3);
  return {
    inChannels: 1,
    numClasses: 2,
    baseFilters: 16,
    channelMultiplier: 2,
    maxFilters: null,
    kernelSizes: 3,
    norm: { kind: "batch" },
    activation: { kind: "relu" },
    convBias: true,
    dropout: { p: 0.5, channelwise: true, bottleneck: true, decoderOutput: true, blocks: false },
    deepSupervision: false,
    contrastiveHead: false,
    init: "torch-default",
    ...overrides,
    encoder: { block: "plain", depths: Array.from({ length: levels }, (_, i) => depth(i)), downsample: "strided-conv", ...overrides.encoder },
    decoder: {
      upsample: "transposed",
      depths: Array.from({ length: levels - 1 }, (_, i) => depth(i)),
      fusion: "add",
      upsampleNormAct: true,
      block: "plain",
      ...overrides.decoder,
    },
  };
}

/**
 * A configurable 3-D U-Net in nnU-Net's style: channels doubling from 32 and capped at 320, two
 * conv-instance-norm-leaky-ReLU layers per level, downsampling by the first convolution's stride,
 * transposed-conv upsampling, concatenated skips, He initialisation. Anisotropic plans set
 * `kernelSizes` and `strides` per level. These are also NetworkConfig's defaults.
 * - Paper: 3D U-Net, arXiv:1606.06650; nnU-Net, doi:10.1038/s41592-020-01008-z
 * @example const cfg = unetConfig({ levels: 4, baseFilters: 16, strides: [1, [1, 2, 2], 2, 2] });
 */
export function unetConfig(overrides: NetworkConfig = {}): NetworkConfig {
  return {
    inChannels: 1,
    numClasses: 2,
    baseFilters: 32,
    channelMultiplier: 2,
    maxFilters: 320,
    kernelSizes: 3,
    norm: { kind: "instance", affine: true },
    activation: { kind: "leaky-relu", negativeSlope: 0.01 },
    convBias: true,
    dropout: 0,
    deepSupervision: false,
    contrastiveHead: false,
    init: "he",
    ...overrides,
    encoder: { block: "plain", depths: 2, downsample: "strided-first-conv", ...overrides.encoder },
    decoder: { upsample: "transposed", depths: 2, fusion: "concat", upsampleNormAct: false, block: "plain", ...overrides.decoder },
  };
}
