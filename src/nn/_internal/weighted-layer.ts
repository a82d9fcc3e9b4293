// The base of layers with a weight and an optional bias (Linear, Conv3d, ConvTranspose3d): both are
// created zeroed, initialised like PyTorch's reset_parameters (defaultLayerInit) and registered
// under PyTorch's names, so state dicts interchange.
import { type Tensor, zeros } from "../../tensor/index.js";
import { defaultLayerInit } from "../init.js";
import { Module } from "../module.js";
import { type LayerOptions, positiveInt } from "./layer-options.js";

export abstract class WeightedLayer extends Module {
  /** Creates, initialises and registers `weight` (weightShape) and `bias` (outFeatures, unless bias is false). */
  protected initWeightAndBias(weightShape: readonly number[], outFeatures: number, opts: LayerOptions & { bias?: boolean }): void {
    const dtype = opts.dtype ?? "float32";
    const weight = zeros(weightShape, { dtype });
    const bias = (opts.bias ?? true) ? zeros([outFeatures], { dtype }) : null;
    defaultLayerInit(weight, bias, opts.generator);
    this.registerParameter("weight", weight);
    this.registerParameter("bias", bias);
  }

  get weight(): Tensor {
    return this.param("weight");
  }

  get bias(): Tensor | null {
    return this.optionalParam("bias");
  }
}

/** Validates the channel counts and groups of a (transposed) convolution; returns groups. */
export function checkConvChannels(what: string, inChannels: number, outChannels: number, groups: number): number {
  positiveInt(groups, `${what} groups`);
  positiveInt(inChannels, `${what} inChannels`);
  positiveInt(outChannels, `${what} outChannels`);
  if (inChannels % groups !== 0 || outChannels % groups !== 0) {
    throw new RangeError(`${what}: inChannels and outChannels must be divisible by groups. Received: ${inChannels}, ${outChannels}, groups=${groups}`);
  }
  return groups;
}
