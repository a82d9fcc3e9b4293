// A rough estimate of training memory for a U-Net patch, used to size patches on CPU. It counts the
// float32 activations autograd keeps (per convolution its output, the norm output and the
// activation; in the decoder also the upsampled map and the concatenation) and doubles them for
// the gradients alive during backward. Real use varies with the engine's workspace, so the
// planner's budget is a knob, not a guarantee.
import { levelChannels, type Topology } from "./topology.js";

/** What the estimate needs about the network and the batch. */
export interface MemoryModel {
  batchSize: number;
  inChannels: number;
  numClasses: number;
  baseFilters: number;
  maxFilters: number;
}

/** Estimated bytes to train one step on `patch` (x, y, z voxels) with topology `t`. */
export function estimateTrainingBytes(patch: readonly number[], t: Topology, m: MemoryModel): number {
  const ch = levelChannels(t.levels, m.baseFilters, m.maxFilters);
  let voxels = patch[0]! * patch[1]! * patch[2]!;
  let floats = voxels * (m.inChannels + 2 * m.numClasses);
  for (let l = 0; l < t.levels; l++) {
    if (l > 0) voxels /= t.strides[l]![0] * t.strides[l]![1] * t.strides[l]![2];
    const perVoxel = 6 + (l < t.levels - 1 ? 9 : 0); // encoder: 2 convs x 3 tensors; decoder: up + concat(2) + 2 x 3
    floats += perVoxel * ch[l]! * voxels;
  }
  return floats * m.batchSize * 4 * 2;
}
