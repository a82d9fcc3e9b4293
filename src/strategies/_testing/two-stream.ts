// Test helpers for the two-stream (labelled + unlabelled) strategies' own tests, over the
// conformance suite's tiny environment and cases: 3 classes, batches by index, gradient bookkeeping.
import type { Module } from "../../nn/index.js";
import { tidy } from "../../tensor/index.js";
import { type Batch, type StepContext, type StrategyEnv, toTensorBatch } from "../../training/index.js";
import { conformanceEnv, hostBatch, stepContext } from "./conformance.js";

const CLASSES = 3;
const TOTAL_ITERATIONS = 100;

/** The suite's tiny U-Net environment (2 levels, 4 base filters, (D, H, W) = (8, 16, 16) patches) with 3 classes and 100 iterations. */
export function tinyEnv(): StrategyEnv {
  return conformanceEnv(CLASSES, TOTAL_ITERATIONS);
}

/** Batch `index` of the suite's cases (call inside a scope: the tensors belong to it). */
export function twoStreamBatch(index: number, labelled = 2, unlabelled = 2): Batch {
  return toTensorBatch(hostBatch({ labelled, unlabelled, boxes: 0 }, index, CLASSES));
}

/** A step context at `iteration` of the 100-iteration run. */
export function stepAt(iteration: number): StepContext {
  return stepContext(iteration, TOTAL_ITERATIONS);
}

/** Σ |grad| over a module's parameters (0 when none has a gradient). */
export function gradientMass(m: Module): number {
  return tidy(() => m.parameters().reduce((acc, p) => acc + (p.grad?.abs().sum().item() ?? 0), 0));
}

/** Clears every gradient of the modules. */
export function clearGradients(...ms: Module[]): void {
  for (const m of ms) for (const p of m.parameters()) p.setGrad(null);
}
