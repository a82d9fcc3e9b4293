// The data layer's public door: datasets (nnU-Net v2 raw layout, MSD import, the labelwise
// manifest, boxes, splits) and their integrity check.
export * from "./dataset/index.js";
export * from "./check/index.js";
export { ConfigError, DatasetError, formatIssuePath, type ConfigIssue } from "./errors.js";
