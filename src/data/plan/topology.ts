// Network topology from a patch size and a voxel spacing. The rule (nnU-Net's idea, our code):
// an axis is pooled at a level only while its current spacing is at most twice the finest current
// spacing (so anisotropic axes wait until the others catch up) and while its feature map stays at
// least `minFeatureMap` voxels after pooling; a convolution kernel is 1 along an axis whose
// spacing is still more than twice the finest (no mixing across thick slices), else 3.

type Int3 = [number, number, number];

/** Options of {@link planTopology}. */
export interface TopologyOptions {
  /** Resolution levels at most (including the bottleneck). @default 6 */
  maxLevels?: number;
  /** Smallest feature-map edge at the bottleneck. @default 4 */
  minFeatureMap?: number;
}

/** Per-level strides into the level and kernel sizes, (x, y, z) each. */
export interface Topology {
  levels: number;
  strides: Int3[];
  kernelSizes: Int3[];
}

/**
 * Plans pooling and kernels for a patch (voxels) at a spacing (mm).
 * @example planTopology([40, 56, 40], [1, 1, 1]).strides // [[1,1,1],[2,2,2],[2,2,2],[2,2,2]]
 */
export function planTopology(patch: readonly number[], spacing: readonly number[], opts: TopologyOptions = {}): Topology {
  const maxLevels = opts.maxLevels ?? 6;
  const minFm = opts.minFeatureMap ?? 4;
  let size = [...patch];
  let sp = [...spacing];
  const strides: Int3[] = [[1, 1, 1]];
  const kernelSizes: Int3[] = [];
  for (;;) {
    const finest = Math.min(...sp);
    kernelSizes.push(sp.map((s) => (s <= 2 * finest ? 3 : 1)) as Int3);
    if (strides.length >= maxLevels) break;
    const stride = sp.map((s, a) => (s <= 2 * finest && size[a]! >= 2 * minFm ? 2 : 1)) as Int3;
    if (stride.every((s) => s === 1)) break;
    strides.push(stride);
    size = size.map((n, a) => n / stride[a]!);
    sp = sp.map((s, a) => s * stride[a]!);
  }
  return { levels: strides.length, strides, kernelSizes };
}

/** Product of the strides per axis: a patch edge must be a multiple of it. */
export function topologyDivisor(t: Pick<Topology, "strides">): Int3 {
  return [0, 1, 2].map((a) => t.strides.reduce((p, s) => p * s[a]!, 1)) as Int3;
}

/** Channels per level: base·2^l, capped. */
export function levelChannels(levels: number, baseFilters: number, maxFilters: number): number[] {
  return Array.from({ length: levels }, (_, l) => Math.min(baseFilters * 2 ** l, maxFilters));
}
