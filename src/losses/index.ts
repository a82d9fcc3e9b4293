// The losses layer's public door (L3): segmentation losses composed from tensor ops, each as a
// function with a typed options object and a class holding fixed options.
export { diceLoss, DiceLoss, type DiceLossOptions, type DiceActivation } from "./dice.js";
export { crossEntropyLoss, CrossEntropyLoss, type CrossEntropyLossOptions } from "./cross-entropy.js";
export { diceCELoss, diceCELossTerms, DiceCELoss, type DiceCELossOptions, type DiceCETerms } from "./dice-ce.js";
// Semi-supervised losses, pseudo-labels, copy-paste and schedules (see semi/README.md).
export * from "./semi/index.js";
// Weak supervision from 3-D boxes (projection, pairwise, contrastive-head and shape-prior terms).
export * from "./box/index.js";
