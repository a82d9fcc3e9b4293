// Semi-supervised building blocks (L3): the losses, pseudo-labels, mixing and schedules that the
// strategies compose. Formulas and the choices the papers left open: README.md.
export { sigmoidRampup, consistencyWeight, type ConsistencyWeightOptions } from "./schedules.js";
export {
  rankWeightedSimilarityLoss,
  fbaContrastiveLoss,
  cosineSimilarityMatrix,
  rankWeights,
  type SimilarityKind,
  type RankWeightedSimilarityOptions,
  type FBAContrastiveLossOptions,
  type FBAContrastiveTerms,
} from "./similarity.js";
export {
  sharpen,
  sharpenedConsistencyLoss,
  mutualConsistencyLoss,
  softmaxMSELoss,
  type ProbabilityActivation,
  type SharpenedConsistencyOptions,
  type SoftmaxMSEOptions,
} from "./consistency.js";
export { verificationLoss, selectWinner, type VerificationLossOptions, type VerificationTerms, type WinnerLoser } from "./verification.js";
export {
  hardPseudoLabels,
  softmaxEntropy,
  unionPseudoLabels,
  reliableCrossEntropy,
  type UnionPseudoLabelOptions,
  type UnionPseudoLabels,
  type ReliableCrossEntropyOptions,
} from "./pseudo-labels.js";
export { prototypeContrastiveLoss, type PrototypeContrastiveOptions, type PrototypeContrastiveTerms } from "./prototype.js";
export { crossPseudoSupervisionLoss, type CrossPseudoOptions, type CrossPseudoTerms } from "./cross-pseudo.js";
export { cuboidMask, copyPasteMix, type Cuboid, type CuboidMaskOptions, type CopyPasteInput, type CopyPasteBatches, type MixedBatch } from "./copy-paste.js";
export { largestComponentLabels, type LargestComponentLabelOptions } from "./components.js";
