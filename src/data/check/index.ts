// `labelwise check`: dataset integrity checks (pure TypeScript over node:fs, no engine).
export { checkDataset, type CheckOptions } from "./check-dataset.js";
export { formatProblems, formatSummary, type CheckReport } from "./report.js";
export { compareGrids, gridOf, type GeometryTolerances, type GridInfo, type GridDifference } from "./geometry.js";
export { imageStats, labelStats, type ImageStats, type LabelStats } from "./voxels.js";
