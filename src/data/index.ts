// The data layer's public door: datasets (nnU-Net v2 raw layout, MSD import, the labelwise
// manifest, boxes, splits) and their integrity check.
export * from "./dataset/index.js";
export * from "./check/index.js";
export { ConfigError, DatasetError, formatIssuePath, type ConfigIssue } from "./errors.js";
// The training data pipeline: fingerprint -> plans -> preprocessing cache -> sampling/augmentation -> loader.
export * from "./random/index.js";
export * from "./fingerprint/index.js";
export * from "./plan/index.js";
export * from "./preprocess/index.js";
export * from "./augment/index.js";
export * from "./sampling/index.js";
export * from "./loader/index.js";
export * from "./phantom/index.js";
