// What a strategy may read of the run's data while it is built (StrategyEnv.data): the fold's case
// lists, preprocessed training cases from the cache, and label map files (e.g. a shape atlas for
// the box strategy's templates). Strategy factories are synchronous, so the reads are too; they
// happen once, before training starts.
import { readFileSync } from "node:fs";
import path from "node:path";
import { gunzipSync } from "node:zlib";
import { CaseStore, type Fold, type PlanConfiguration } from "../data/index.js";
import { decodeNifti, reorient } from "../io/index.js";
import type { StrategyData } from "../training/index.js";
import type { Volume } from "../volume/index.js";

/**
 * Reads a NIfTI label map (.nii or .nii.gz) and reorients it to RAS, the orientation preprocessing
 * gives every case. No resampling: shape templates are normalised to the organ's box anyway.
 * @throws RangeError naming the file when it cannot be read or holds several volumes
 */
export function readLabelMapSync(file: string): Volume {
  const abs = path.resolve(file);
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(abs);
    if (bytes[0] === 0x1f && bytes[1] === 0x8b) bytes = gunzipSync(bytes);
  } catch (e) {
    throw new RangeError(`Cannot read the label map ${abs}: ${(e as Error).message}`);
  }
  const volume = decodeNifti(bytes, { path: abs }).volume;
  if (volume.channels !== 1) throw new RangeError(`Cannot use ${abs} as a label map: it holds ${volume.channels} volumes; expected one 3-D label map`);
  return reorient(volume, "RAS").volume;
}

/** StrategyData over a fold and its preprocessing cache. */
export function strategyData(fold: Fold, plan: PlanConfiguration, cacheDir: string): StrategyData {
  const store = new CaseStore(cacheDir, 64 * 1024 * 1024);
  const s = plan.spacing;
  return {
    cases: fold.train,
    spacing: [s[0]!, s[1]!, s[2]!],
    case: (id) => store.get(id),
    readLabelMap: readLabelMapSync,
  };
}
