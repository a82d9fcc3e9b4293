// The strategy registry: `strategy.kind` in a config selects a schema and a factory here, by an
// explicit table (no lookup of classes by name). Adding a strategy: export its schema and factory
// from src/strategies, add one entry to STRATEGIES and its schema to StrategyConfigSchema.
import { z } from "zod";
import { SupervisedConfigSchema, createSupervisedStrategy } from "../strategies/index.js";
import { DualContrastConfigSchema, FBAConfigSchema, createDualContrastStrategy, createFBAStrategy } from "../strategies/index.js";
import { BoxConfigSchema, createBoxStrategy } from "../strategies/index.js";
import { BCPConfigSchema, CrossPseudoConfigSchema, MeanTeacherConfigSchema, createBCPStrategy, createCrossPseudoStrategy, createMeanTeacherStrategy } from "../strategies/index.js";
import type { Strategy, StrategyEnv } from "../training/index.js";

/** Every strategy config, discriminated by `kind` (strict objects: unknown keys are errors). */
export const StrategyConfigSchema = z.discriminatedUnion("kind", [SupervisedConfigSchema, FBAConfigSchema, DualContrastConfigSchema, BoxConfigSchema, MeanTeacherConfigSchema, CrossPseudoConfigSchema, BCPConfigSchema]);
export type StrategyConfig = z.infer<typeof StrategyConfigSchema>;
export type StrategyKind = StrategyConfig["kind"];

/** The kinds of training case a strategy learns from (the web page warns when one is missing). */
export type TrainingData = "labelled" | "unlabelled" | "boxes";

type Registry = {
  [K in StrategyKind]: {
    create: (cfg: Extract<StrategyConfig, { kind: K }>, env: StrategyEnv) => Strategy;
    summary: string;
    /** What the strategy is there to learn from; labelled cases stay usable by every one. */
    learnsFrom: readonly TrainingData[];
  };
};

const SEMI: readonly TrainingData[] = ["labelled", "unlabelled"];

/** kind -> factory. */
export const STRATEGIES: Registry = {
  supervised: { create: createSupervisedStrategy, summary: "Dice + cross-entropy on labelled patches (optional deep supervision)", learnsFrom: ["labelled"] },
  fba: { create: createFBAStrategy, summary: "FBA-Net: foreground/background contrastive embeddings on all patches; FBA-Net+ with decoders > 1 (mutual consistency)", learnsFrom: SEMI },
  box: { create: createBoxStrategy, summary: "weak supervision from one 3-D box per organ: projection, pairwise (grey-level or contrastive embedding), shape prior; mixes in labelled cases", learnsFrom: ["labelled", "boxes"] },
  "dual-contrast": { create: createDualContrastStrategy, summary: "two heterogeneous subnetworks: verification, union pseudo-labels, prototype contrast on the loser; predicts with both", learnsFrom: SEMI },
  "mean-teacher": { create: createMeanTeacherStrategy, summary: "EMA teacher; softmax-MSE consistency on noisy unlabelled patches with a sigmoid ramp-up", learnsFrom: SEMI },
  "cross-pseudo": { create: createCrossPseudoStrategy, summary: "two differently initialised networks teach each other with hard pseudo-labels; predicts with both", learnsFrom: SEMI },
  bcp: { create: createBCPStrategy, summary: "bidirectional copy-paste: labelled copy-paste pre-training, then labelled/unlabelled cuboid mixing with EMA-teacher pseudo-labels", learnsFrom: SEMI },
};

/** The strategy kinds known to this build. */
export const strategyKinds = (): StrategyKind[] => Object.keys(STRATEGIES) as StrategyKind[];

/** Builds the strategy a validated config selects. */
export function createStrategy(cfg: StrategyConfig, env: StrategyEnv): Strategy {
  const entry = STRATEGIES[cfg.kind] as { create: (c: StrategyConfig, e: StrategyEnv) => Strategy };
  return entry.create(cfg, env);
}
