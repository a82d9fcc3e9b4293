// Loss-weight schedules of the semi-supervised literature: pure functions of the iteration, so a
// resumed run needs nothing but its iteration count.

/**
 * The "sigmoid-shaped" ramp-up exp(−5 (1 − t)²) with t = clamp(current / rampupLength, 0, 1):
 * ≈ 0.0067 at the start, 1 from `rampupLength` on (and always 1 when rampupLength is 0).
 * - Paper: Laine & Aila, Temporal ensembling, arXiv:1610.02242; Tarvainen & Valpola, Mean teacher, arXiv:1703.01780
 * @example sigmoidRampup(20, 40) // exp(-5 · 0.25) ≈ 0.287
 */
export function sigmoidRampup(current: number, rampupLength: number): number {
  if (!Number.isFinite(current)) throw new RangeError(`sigmoidRampup: current must be finite. Received: ${current}`);
  if (!(rampupLength >= 0) || !Number.isFinite(rampupLength)) throw new RangeError(`sigmoidRampup: rampupLength must be a finite number >= 0. Received: ${rampupLength}`);
  if (rampupLength === 0) return 1;
  const t = Math.min(Math.max(current / rampupLength, 0), 1);
  return Math.exp(-5 * (1 - t) * (1 - t));
}

export interface ConsistencyWeightOptions {
  /** The weight once ramped up. @default 1 */
  maxWeight?: number;
  /** Ramp-up length in steps (a step is `iterationsPerStep` iterations). @default 40 (FBA-Net+) */
  rampupLength?: number;
  /** Iterations per ramp-up step (the literature's "epoch"). @default 150 (FBA-Net+, SSL4MIS) */
  iterationsPerStep?: number;
}

/**
 * maxWeight · sigmoidRampup(⌊iteration / iterationsPerStep⌋, rampupLength). The defaults give
 * FBA-Net+'s w(t) = exp(−5 (1 − t/40)²), t = iteration // 150 (full weight after 6,000 iterations);
 * mean teacher in SSL4MIS uses the same form with its own maxWeight and length.
 * - Paper: Chung et al., FBA-Net, arXiv:2306.15189 (mutual consistency weight)
 * @param iteration 0-based training iteration
 * @example consistencyWeight(3000) // exp(-5 · (1 - 20/40)²) ≈ 0.287
 */
export function consistencyWeight(iteration: number, opts: ConsistencyWeightOptions = {}): number {
  const maxWeight = opts.maxWeight ?? 1;
  const per = opts.iterationsPerStep ?? 150;
  if (!Number.isFinite(maxWeight)) throw new RangeError(`consistencyWeight: maxWeight must be finite. Received: ${maxWeight}`);
  if (!Number.isInteger(per) || per < 1) throw new RangeError(`consistencyWeight: iterationsPerStep must be a positive integer. Received: ${per}`);
  if (!Number.isInteger(iteration) || iteration < 0) throw new RangeError(`consistencyWeight: iteration must be a non-negative integer. Received: ${iteration}`);
  return maxWeight * sigmoidRampup(Math.floor(iteration / per), opts.rampupLength ?? 40);
}
