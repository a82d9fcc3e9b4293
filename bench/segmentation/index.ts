// Accuracy benchmarks over segmentation rows: run a row through plan → train → predict → evaluate,
// run a suite of rows in resumable parts, and the shared report pieces, plots and datasets.
export type { ClassScore, MetricStat, SegmentationPart, SegmentationRow, WorkRoot } from "./types.js";
export { RowConfigError, RowInterrupted, failedPart, partName, resolveRowConfig, rowFingerprint, runSegmentationRow, suiteTraining, withIterations, workDir, type RunRowContext } from "./run-row.js";
export { accuracySuite, runAccuracySuite, writeSuiteReport, type AccuracySuiteSpec, type Profile, type RowRunner, type SuiteDeps, type SuiteReport } from "./suite-runner.js";
export { DIGITS, fmt, meanOf, meanOverClasses, modelNotes, partNotes, ratio, reportHeader, statCell, type MetricName } from "./report.js";
export { diceBarsSpec, diceVsFractionSpec, type BarValue, type FractionValue } from "./plots.js";
export { HUMAN_BOXES, WORK_FULL, WORK_QUICK, boxesDataset, dataRoot, workRootOf, type BoxSimulation } from "./datasets.js";
