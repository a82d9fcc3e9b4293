// Validation during training: predict each held-out case (preprocessed, from the cache) tile by
// tile with the strategy's predict(), and score Dice per class. Tiles are patch-sized, cover the
// case without gaps (the last tile of an axis is shifted back to fit) and are zero-padded when the
// case is smaller than the patch. This is a quick, memory-light score for model selection; the
// inference layer's Gaussian-weighted sliding window is the one to report.
import type { PreprocessedCase } from "../data/index.js";
import { evaluateSegmentation } from "../metrics/index.js";
import { type Tensor, noGrad, tensor, tidy } from "../tensor/index.js";

/** Dice of each foreground class for one case (NaN when the class is in neither map). */
export interface CaseDice {
  readonly id: string;
  readonly dice: readonly number[];
}

export interface ValidationResult {
  readonly cases: readonly CaseDice[];
  /** Mean over cases per foreground class (NaN cases skipped; null when every case is NaN). */
  readonly meanPerClass: readonly (number | null)[];
  /** Mean of meanPerClass (null when none). */
  readonly mean: number | null;
}

/** Tile starts along one axis of length n for tiles of length p. */
function starts(n: number, p: number): number[] {
  if (n <= p) return [0];
  const out: number[] = [];
  for (let s = 0; s + p < n; s += p) out.push(s);
  out.push(n - p);
  return out;
}

/**
 * The argmax segmentation of a case, (x, y, z) layout like the case's label.
 * @param predict logits (N, K, D, H, W) for an image (N, C, D, H, W)
 */
export function predictCase(pc: PreprocessedCase, patch: readonly [number, number, number], predict: (x: Tensor) => Tensor): Uint8Array {
  const [nx, ny, nz] = pc.shape;
  const [px, py, pz] = patch;
  const N = nx * ny * nz;
  const P = px * py * pz;
  const out = new Uint8Array(N);
  const tile = new Float32Array(pc.channels * P);
  for (const z0 of starts(nz, pz))
    for (const y0 of starts(ny, py))
      for (const x0 of starts(nx, px)) {
        tile.fill(0);
        for (let c = 0; c < pc.channels; c++)
          for (let z = 0; z < Math.min(pz, nz); z++)
            for (let y = 0; y < Math.min(py, ny); y++) {
              const src = c * N + x0 + nx * (y0 + y + ny * (z0 + z));
              tile.set(pc.image.subarray(src, src + Math.min(px, nx)), c * P + px * (y + py * z));
            }
        const labels = noGrad(() => tidy(() => predict(tensor(tile, [1, pc.channels, pz, py, px])).argmax(1).to("uint8").dataSync() as Uint8Array));
        for (let z = 0; z < Math.min(pz, nz); z++)
          for (let y = 0; y < Math.min(py, ny); y++)
            for (let x = 0; x < Math.min(px, nx); x++) out[x0 + x + nx * (y0 + y + ny * (z0 + z))] = labels[x + px * (y + py * z)]!;
      }
  return out;
}

/**
 * Scores every case with a label map. Classes are 1 .. numClasses − 1.
 * @example const r = validate(cases, [64, 64, 64], 3, (x) => strategy.predict(x));
 */
export function validate(cases: Iterable<PreprocessedCase>, patch: readonly [number, number, number], numClasses: number, predict: (x: Tensor) => Tensor): ValidationResult {
  const classes = Array.from({ length: numClasses - 1 }, (_, i) => i + 1);
  const scored: CaseDice[] = [];
  for (const pc of cases) {
    if (!pc.label) continue;
    const pred = predictCase(pc, patch, predict);
    const m = evaluateSegmentation({ data: pred, shape: pc.shape }, { data: pc.label, shape: pc.shape }, { classes, surface: false, bothEmpty: "nan" });
    scored.push({ id: pc.id, dice: m.map((c) => c.dice) });
  }
  const meanPerClass = classes.map((_, k) => {
    const v = scored.map((c) => c.dice[k]!).filter((d) => Number.isFinite(d));
    return v.length ? v.reduce((a, b) => a + b, 0) / v.length : null;
  });
  const finite = meanPerClass.filter((d): d is number => d !== null);
  return { cases: scored, meanPerClass, mean: finite.length ? finite.reduce((a, b) => a + b, 0) / finite.length : null };
}
