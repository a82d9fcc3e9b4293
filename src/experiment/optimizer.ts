// Optimizer and learning-rate schedule from the experiment config.
import { Adam, AdamW, type LrSchedule, SGD, constantLr, cosineLr, polyLr, withWarmup } from "../nn/index.js";
import type { OptimizerLike } from "../training/index.js";
import type { Tensor } from "../tensor/index.js";
import type { ExperimentConfig } from "./schema.js";

/** The configured optimizer over `params`. */
export function buildOptimizer(cfg: ExperimentConfig["optimizer"], params: readonly Tensor[]): OptimizerLike {
  switch (cfg.kind) {
    case "sgd":
      return new SGD(params, { lr: cfg.lr, momentum: cfg.momentum, nesterov: cfg.nesterov, weightDecay: cfg.weightDecay });
    case "adam":
      return new Adam(params, { lr: cfg.lr, betas: cfg.betas, weightDecay: cfg.weightDecay });
    case "adamw":
      return new AdamW(params, { lr: cfg.lr, betas: cfg.betas, weightDecay: cfg.weightDecay });
  }
}

/** The configured schedule over `total` iterations, from the optimizer's base lr. */
export function buildSchedule(cfg: ExperimentConfig["schedule"], lr: number, total: number): LrSchedule {
  const steps = Math.max(1, total - cfg.warmupIterations);
  const base = cfg.kind === "poly" ? polyLr({ lr, maxSteps: steps, exponent: cfg.exponent }) : cfg.kind === "cosine" ? cosineLr({ lr, maxSteps: steps, minLr: cfg.minLr }) : constantLr(lr);
  return cfg.warmupIterations > 0 ? withWarmup(base, { steps: cfg.warmupIterations }) : base;
}
