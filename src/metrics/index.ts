// The metrics layer's public door: segmentation metrics (Dice, Jaccard, HD, HD95, ASD, NSD,
// volume difference), the exact distance transform behind them, and connected components for
// post-processing. Pure TypeScript on typed arrays: no Node built-ins, no native addon, so the
// browser viewer can use it too. Definitions and the empty-mask policy: README.md.
export type { LabelMap, LabelArray, AnyLabelArray, GridShape, Spacing, MetricUnit } from "./label-map.js";
export { squaredDistanceTransform, distanceTransform } from "./edt.js";
export {
  borderVoxels,
  surfaceDistances,
  maskSurfaceDistances,
  type SurfaceConnectivity,
  type SurfaceDistances,
  type SurfaceDistanceOptions,
} from "./surface.js";
export {
  evaluateSegmentation,
  dice,
  jaccard,
  hausdorff,
  hd95,
  averageSurfaceDistance,
  normalizedSurfaceDice,
  volumeDifference,
  type EvaluateOptions,
  type BinaryMetricOptions,
  type ClassMetrics,
  type OneEmptyDistance,
} from "./evaluate.js";
export {
  connectedComponents,
  largestComponent,
  removeSmallObjects,
  type Components,
  type ComponentConnectivity,
  type ComponentOptions,
  type PostprocessOptions,
  type LargestComponentOptions,
  type RemoveSmallObjectsOptions,
} from "./components.js";
