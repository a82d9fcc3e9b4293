// Parameters and buffers shared by the normalisation layers, created as PyTorch's _NormBase does
// (weight=1, bias=0, running_mean=0, running_var=1, num_batches_tracked=0) so state dicts interchange.
import { type DType, type Tensor, ShapeError, ones, tensor, zeros } from "../../tensor/index.js";
import { Module } from "../module.js";
import { positiveInt } from "./layer-options.js";

export interface NormTensors {
  weight: Tensor | null;
  bias: Tensor | null;
  runningMean: Tensor | null;
  runningVar: Tensor | null;
  numBatchesTracked: Tensor | null;
}

/** Fresh tensors for a norm layer over `numFeatures` channels. */
export function normTensors(what: string, numFeatures: number, affine: boolean, trackRunningStats: boolean, dtype: DType = "float32"): NormTensors {
  positiveInt(numFeatures, `${what} numFeatures`);
  const shape = [numFeatures];
  return {
    weight: affine ? ones(shape, { dtype }) : null,
    bias: affine ? zeros(shape, { dtype }) : null,
    runningMean: trackRunningStats ? zeros(shape, { dtype }) : null,
    runningVar: trackRunningStats ? ones(shape, { dtype }) : null,
    numBatchesTracked: trackRunningStats ? tensor(0, [], { dtype: "int64" }) : null,
  };
}

/** Throws unless x is (N, C, D, H, W) with C = channels. */
export function checkInput5d(what: string, x: Tensor, channels: number): void {
  if (x.rank !== 5 || x.shape[1] !== channels) throw new ShapeError(what, `(N, ${channels}, D, H, W)`, x.shape);
}

/**
 * The base of BatchNorm3d and InstanceNorm3d: settings, the affine parameters and running
 * statistics registered under PyTorch's names, and their accessors.
 */
export abstract class RunningStatsNorm extends Module {
  constructor(
    what: string,
    readonly numFeatures: number,
    readonly eps: number,
    readonly affine: boolean,
    readonly trackRunningStats: boolean,
    dtype: DType | undefined,
  ) {
    super();
    const t = normTensors(what, numFeatures, affine, trackRunningStats, dtype);
    this.registerParameter("weight", t.weight);
    this.registerParameter("bias", t.bias);
    this.registerBuffer("running_mean", t.runningMean);
    this.registerBuffer("running_var", t.runningVar);
    // InstanceNorm3d never increments it, but PyTorch registers it there too (state dicts interchange).
    this.registerBuffer("num_batches_tracked", t.numBatchesTracked);
  }

  get weight(): Tensor | null {
    return this.optionalParam("weight");
  }

  get bias(): Tensor | null {
    return this.optionalParam("bias");
  }

  get runningMean(): Tensor | null {
    return this.optionalBuffer("running_mean");
  }

  get runningVar(): Tensor | null {
    return this.optionalBuffer("running_var");
  }

  /** Batches seen in training mode (int64 scalar), or null without running statistics. */
  get numBatchesTracked(): Tensor | null {
    return this.optionalBuffer("num_batches_tracked");
  }
}
