// Box supervision building blocks (weak supervision from one 3-D box per organ): box masks, the
// projection and pairwise terms, the contrastive head's loss from boxes, and the geometric prior.
// The `box` strategy composes these; see README.md for layouts and decisions.
export { boxMasks, resolveBoxes, type BoxLike, type BoxOrientation, type BoxMasks, type BoxMaskOptions, type Index3, type PatchBox3, type ResolveBoxesOptions } from "./boxes.js";
export { foregroundProbabilities, organChannels, organLogit, organLogProbabilities, type BoxActivation } from "./probabilities.js";
export { projectionLoss, type ProjectionLossOptions } from "./projection.js";
export { embeddingAffinity, intensityAffinity, neighbourValidity, prototypeAffinity, type AffinityOptions, type IntensityAffinityOptions, type PrototypeAffinityOptions } from "./affinity.js";
export {
  pairwiseLoss,
  pairwiseWarmup,
  DEFAULT_EMBEDDING_THRESHOLD,
  DEFAULT_INTENSITY_THRESHOLD,
  DEFAULT_PROTOTYPE_THRESHOLD,
  type PairwiseAffinity,
  type PairwiseLossOptions,
} from "./pairwise.js";
export {
  boxContrastiveLoss,
  boxVoxelLabels,
  sampleVoxels,
  supConLoss,
  UNUSED_VOXEL,
  type BoxContrastiveLossOptions,
  type BoxVoxelLabelOptions,
  type SampledVoxels,
  type SampleVoxelsOptions,
  type SupConOptions,
} from "./contrastive.js";
export { zeroCrossings, type ZeroCrossingOptions } from "./surface.js";
export { ellipsoidTemplate, orientTemplate, placeTemplate, templateFromMask, type TemplateOptions } from "./template.js";
export { chamferDistance, nearestNeighbours } from "./chamfer.js";
export { applySimilarity, icp, type IcpOptions, type IcpResult, type Similarity } from "./icp.js";
export { geometricPriorLoss, geometricPriorTerms, type GeometricPriorOptions, type GeometricPriorTerm } from "./geometric-prior.js";
export { boxAreaLoss, type BoxAreaLossOptions } from "./area.js";
export { meanOccupancy, orientOccupancy, templateMaskLoss, templateOccupancy, type TemplateMaskLossOptions } from "./template-mask.js";
