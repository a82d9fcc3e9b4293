// Parameters and buffers shared by the normalisation layers, created as PyTorch's _NormBase does
// (weight=1, bias=0, running_mean=0, running_var=1, num_batches_tracked=0) so state dicts interchange.
import { type DType, type Tensor, ShapeError, ones, tensor, zeros } from "../../tensor/index.js";
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
