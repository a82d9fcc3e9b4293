// The plan's topology as a NetworkConfig. Plans store per-axis values in (x, y, z) order; the
// network works on tensors (N, C, D, H, W) = (…, z, y, x), so this is the one place they are reversed.
import type { NetworkTopology, PlanConfiguration } from "../data/index.js";
import { type NetworkConfig, unetConfig } from "../nn/index.js";
import type { ExperimentConfig } from "./schema.js";

type Int3 = [number, number, number];
const zyx = (v: readonly number[]): Int3 => [v[2]!, v[1]!, v[0]!];

/** Patch size (x, y, z) as the tensor's spatial shape (D, H, W). */
export function patchShapeDHW(plan: PlanConfiguration): Int3 {
  return zyx(plan.patchSize);
}

/** An nnU-Net-style U-Net for the plan, with the experiment's overrides. */
export function networkFromPlan(topology: NetworkTopology, inChannels: number, numClasses: number, o: ExperimentConfig["network"] = {}): NetworkConfig {
  return unetConfig({
    inChannels,
    numClasses,
    levels: topology.levels,
    strides: topology.strides.map(zyx),
    kernelSizes: topology.kernelSizes.map(zyx),
    baseFilters: o.baseFilters ?? topology.baseFilters,
    maxFilters: o.maxFilters ?? topology.maxFilters,
    ...(o.norm ? { norm: { kind: o.norm } } : {}),
    ...(o.dropout !== undefined ? { dropout: o.dropout } : {}),
    ...(o.contrastiveHead !== undefined ? { contrastiveHead: o.contrastiveHead === false ? false : { dim: o.contrastiveHead.dim } } : {}),
    ...(o.decoders ? { decoders: o.decoders.map((d) => (d.upsample ? { upsample: d.upsample } : {})) } : {}),
  });
}
