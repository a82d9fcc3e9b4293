// Augmentations on typed arrays with a seeded generator (pure TypeScript, worker-safe): one
// resampling pass for patch extraction + rotation/zoom/elastic, exact mirroring and rot90, and
// intensity transforms (noise, blur, brightness, contrast, low resolution, gamma).
export { AugmentationSchema, defaultAugmentation, noAugmentation, type AugmentationConfig } from "./config.js";
export { drawSpatialParams, extractPatch, type SpatialParams, type PatchTarget } from "./spatial.js";
export { elasticField } from "./elastic.js";
export { drawFlipParams, applyFlips, flipOrientation, mirrorAxis, rotate90, type FlipParams, type PatchOrientation } from "./flip.js";
export { addGaussianNoise, scaleBrightness, adjustContrast, applyGamma } from "./intensity.js";
export { gaussianBlur, simulateLowResolution } from "./filters.js";
export { augmentIntensity } from "./pipeline.js";
