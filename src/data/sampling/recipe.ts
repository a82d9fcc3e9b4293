// The per-batch recipe: which case each sample comes from, whether it is centred on foreground,
// and the seed of its augmentations. Derived from (seed, batch index) alone — this is what makes
// batches independent of worker timing and lets a resumed run continue the exact sequence from a
// saved batch index (the "sampler position").
import { Rng, mixSeed } from "../random/index.js";
import { type SamplerConfig, type StreamName, STREAM_NAMES } from "./types.js";

/** How one sample is made. */
export interface SampleRecipe {
  readonly stream: StreamName;
  /** Position within its stream. */
  readonly slot: number;
  readonly caseId: string;
  readonly forceForeground: boolean;
  /** Seed of the sample's own generator (patch position and augmentations). */
  readonly seed: number;
}

/**
 * Foreground-forced samples in a stream of n: floor(n·p), plus one more with probability frac(n·p),
 * so the expected share is exactly p (nnU-Net's 33 %) even for batches of 2. The forced samples are
 * the last ones of the stream.
 */
function forcedCount(n: number, p: number, rng: Rng): number {
  const x = n * p;
  const base = Math.floor(x);
  return Math.min(n, base + (rng.chance(x - base) ? 1 : 0));
}

/**
 * The recipe of batch `index` (0, 1, 2, ...).
 * @throws RangeError when a stream with samples has no cases
 */
export function batchRecipe(cfg: SamplerConfig, index: number): SampleRecipe[] {
  if (!Number.isSafeInteger(index) || index < 0) throw new RangeError(`batchRecipe: index must be a non-negative integer. Received: ${index}`);
  const rng = new Rng(mixSeed(cfg.seed, "batch", index));
  const out: SampleRecipe[] = [];
  for (const stream of STREAM_NAMES) {
    const n = cfg.composition[stream];
    if (n === 0) continue;
    const ids = cfg.cases[stream];
    if (ids.length === 0) throw new RangeError(`Cannot sample the ${stream} stream: it has no cases (composition asks for ${n} per batch)`);
    // Unlabelled samples have no annotation to centre on (and must not peek at a held-back label).
    const forced = stream === "unlabelled" ? 0 : forcedCount(n, cfg.foregroundOversampling, rng);
    for (let slot = 0; slot < n; slot++) {
      out.push({ stream, slot, caseId: ids[rng.int(ids.length)]!, forceForeground: slot >= n - forced, seed: mixSeed(cfg.seed, "sample", index, stream, slot) });
    }
  }
  return out;
}
