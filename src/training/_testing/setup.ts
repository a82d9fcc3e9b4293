// Test helpers for the training layer: a tiny supervised setup on in-memory sphere cases.
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { type HostBatch, buildBatch } from "../../data/index.js";
import { samplerConfig, sphereCase } from "../../data/_testing/pipeline-fixtures.js";
import { Adam, unetConfig } from "../../nn/index.js";
import { SupervisedStrategy } from "../../strategies/index.js";
import { streamGenerator } from "../../tensor/index.js";
import type { BatchSource, StrategyEnv } from "../index.js";

export const SEED = 11;
const cases = { a: sphereCase("a", { shape: [24, 20, 16], image: "textured" }), b: sphereCase("b", { shape: [20, 24, 12], centre: [8, 12, 6], image: "textured" }) };
export const SAMPLER = samplerConfig({ seed: SEED, patchSize: [16, 16, 8], foregroundOversampling: 0.5 });

/** Batches built inline from index `start` on. */
export function batchSource(start = 0): BatchSource & { position: number } {
  const src = {
    position: start,
    async next(): Promise<HostBatch> {
      return buildBatch(SAMPLER, src.position++, (id) => cases[id as "a" | "b"]);
    },
  };
  return src;
}

/** A small supervised strategy (2 levels, 4 base filters) and its Adam optimizer. */
export function tinySetup(total = 12) {
  const env: StrategyEnv = {
    network: unetConfig({ inChannels: 1, numClasses: 3, levels: 2, baseFilters: 4, strides: [[1, 1, 1], [2, 2, 2]] }),
    numClasses: 3,
    inChannels: 1,
    ignoreLabel: null,
    batchSize: 2,
    totalIterations: total,
    iterationsPerEpoch: 4,
    generator: (s) => streamGenerator(SEED, s),
  };
  const strategy = new SupervisedStrategy({ kind: "supervised", deepSupervision: false, loss: { diceWeight: 1, ceWeight: 1, batchDice: true, includeBackground: false, denominator: "linear" } }, env);
  const optimizer = new Adam(strategy.parameters(), { lr: 3e-3 });
  return { strategy, optimizer, generator: streamGenerator(SEED, "trainer") };
}

export async function tempRunDir(): Promise<string> {
  return mkdtemp(path.join(tmpdir(), "labelwise-run-"));
}
