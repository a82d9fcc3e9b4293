// The experiment layer (L6): zod config schemas, the strategy registry, network-from-plan, work
// folders and run directories, and the plan/train entry points the CLI calls.
export { ExperimentConfigSchema, OptimizerConfigSchema, ScheduleConfigSchema, NetworkOverridesSchema, type ExperimentConfig } from "./schema.js";
export { STRATEGIES, StrategyConfigSchema, createStrategy, strategyKinds, type StrategyConfig, type StrategyKind } from "./registry.js";
export { loadExperimentConfig, parseExperimentConfig, applyOverrides, resumeConflicts, type ConfigOverrides } from "./config.js";
export { networkFromPlan, patchShapeDHW } from "./network.js";
export { buildOptimizer, buildSchedule } from "./optimizer.js";
export { workspace, type Workspace } from "./workspace.js";
export { provenance, type Provenance } from "./provenance.js";
export { planDataset, type PlanDatasetOptions, type PlanDatasetResult } from "./plan-dataset.js";
export { foldForRun, splitsName } from "./run-splits.js";
export { trainExperiment, type TrainExperimentOptions, type TrainExperimentResult } from "./train-experiment.js";
export { ConfigError } from "../data/index.js";
export { runDemo, demoSettings, DemoError, DEMO_DATASET, DEMO_MARKER, type DemoOptions, type DemoResult, type DemoSettings, type DemoEvent, type DemoStage, type ClassDice } from "./demo.js";
