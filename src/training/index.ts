// The training layer (L5): one loop for every strategy (the Strategy contract), tensor batches,
// checkpoints with exact resume, validation, and progress reporting.
export type { Strategy, OptimizerLike, StrategyData, StrategyEnv, StrategyFactory, StepContext, StepOutput, StrategyState, StrategyDescription } from "./strategy.js";
export { toTensorBatch, type Batch, type LabelledBatch, type UnlabelledBatch, type BoxBatch } from "./batch.js";
export { Trainer, TensorLeakError, type TrainerOptions, type TrainerValidation, type TrainingResult, type BatchSource } from "./trainer.js";
export {
  saveCheckpoint,
  loadCheckpoint,
  restoreCheckpoint,
  readPointer,
  pointerPath,
  CHECKPOINT_FORMAT,
  CHECKPOINT_VERSION,
  CHECKPOINT_KINDS,
  type CheckpointKind,
  type CheckpointParts,
  type CheckpointPointer,
  type LoadedCheckpoint,
  type TrainerState,
} from "./checkpoint.js";
export { jsonLinesReporter, type TrainingEvent, type TrainingReporter, type DiceByClass } from "./events.js";
export { progressBarReporter } from "./progress-bar.js";
export { appendMetrics, truncateMetrics } from "./metrics-log.js";
export { validate, predictCase, type ValidationResult, type CaseDice } from "./validation.js";
