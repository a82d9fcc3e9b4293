// The strategy registry: `strategy.kind` in a config selects a schema and a factory here, by an
// explicit table (no lookup of classes by name). Adding a strategy: export its schema and factory
// from src/strategies, add one entry to STRATEGIES and its schema to StrategyConfigSchema.
import { z } from "zod";
import { SupervisedConfigSchema, createSupervisedStrategy } from "../strategies/index.js";
import type { Strategy, StrategyEnv } from "../training/index.js";

/** Every strategy config, discriminated by `kind` (strict objects: unknown keys are errors). */
export const StrategyConfigSchema = z.discriminatedUnion("kind", [SupervisedConfigSchema]);
export type StrategyConfig = z.infer<typeof StrategyConfigSchema>;
export type StrategyKind = StrategyConfig["kind"];

type Registry = { [K in StrategyKind]: { create: (cfg: Extract<StrategyConfig, { kind: K }>, env: StrategyEnv) => Strategy; summary: string } };

/** kind -> factory. */
export const STRATEGIES: Registry = {
  supervised: { create: createSupervisedStrategy, summary: "Dice + cross-entropy on labelled patches (optional deep supervision)" },
};

/** The strategy kinds known to this build. */
export const strategyKinds = (): StrategyKind[] => Object.keys(STRATEGIES) as StrategyKind[];

/** Builds the strategy a validated config selects. */
export function createStrategy(cfg: StrategyConfig, env: StrategyEnv): Strategy {
  const entry = STRATEGIES[cfg.kind] as { create: (c: StrategyConfig, e: StrategyEnv) => Strategy };
  return entry.create(cfg, env);
}
